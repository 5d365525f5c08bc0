/// The names an OCI layout gives its `index.json` entries (`org.opencontainers.image.ref.name`).
public enum LayoutRefName {
    /// The annotation holding the name.
    public static let annotation = "org.opencontainers.image.ref.name"

    /// Whether `name` follows the image-layout grammar: components of letters and digits joined by
    /// one of `- . _ : @ +` or by `--`, separated by `/`. So a bare tag (`v1`) and a full reference
    /// (`example.com/app:v1`) are both valid names.
    public static func isValid(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 1024 else { return false }
        return name.split(separator: "/", omittingEmptySubsequences: false).allSatisfy(isValidComponent)
    }

    private static func isValidComponent(_ component: Substring) -> Bool {
        var separatorRun = ""
        var sawAlphanumeric = false
        for character in component {
            if character.isASCII && (character.isLetter || character.isNumber) {
                guard separatorRun.isEmpty || separatorRun.count == 1 || separatorRun == "--" else { return false }
                guard sawAlphanumeric || separatorRun.isEmpty else { return false }
                separatorRun = ""
                sawAlphanumeric = true
            } else if "-._:@+".contains(character) {
                separatorRun.append(character)
            } else {
                return false
            }
        }
        return sawAlphanumeric && separatorRun.isEmpty
    }
}
