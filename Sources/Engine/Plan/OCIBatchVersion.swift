/// The version ocibatch reports in its User-Agent and `--version`.
public enum OCIBatchVersion {
    public static let current = "0.1.0"
}
