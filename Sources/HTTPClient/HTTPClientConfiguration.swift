/// Settings shared by every request of one client.
public struct HTTPClientConfiguration: Sendable {
    /// Sent as `User-Agent` unless a request sets its own (`ocibatch/<version>`).
    public var userAgent: String
    /// Requests beyond this many wait for a free slot before curl sees them.
    public var maxConcurrentTransfers: Int
    /// Connections curl may open to one host at once; 0 means no limit.
    public var maxConnectionsPerHost: Int
    /// Timeouts and TLS settings for requests that bring none of their own.
    public var defaultOptions: HTTPTransferOptions

    public init(
        userAgent: String,
        maxConcurrentTransfers: Int = 64,
        maxConnectionsPerHost: Int = 0,
        defaultOptions: HTTPTransferOptions = HTTPTransferOptions()
    ) {
        self.userAgent = userAgent
        self.maxConcurrentTransfers = max(1, maxConcurrentTransfers)
        self.maxConnectionsPerHost = max(0, maxConnectionsPerHost)
        self.defaultOptions = defaultOptions
    }
}
