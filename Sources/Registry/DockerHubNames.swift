/// Docker Hub's several names, and the key docker/cli stores its credentials under.
enum DockerHubNames {
    /// The key `docker login` writes for Docker Hub, and the server address its helpers expect.
    static let credentialKey = "https://index.docker.io/v1/"
    static let hosts: Set<String> = ["docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"]

    /// True when `host` (without scheme, with or without port 443) names Docker Hub's registry.
    static func isDockerHub(_ host: String) -> Bool {
        var name = host.lowercased()
        if name.hasSuffix(":443") { name.removeLast(4) }
        return hosts.contains(name)
    }
}
