/// Entry point of the command line; replaced by the real dispatcher.
public enum OCIBatchCommand {
    public static func main(arguments: [String]) async -> Int32 {
        0
    }
}
