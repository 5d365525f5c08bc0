import Foundation

/// Upper bounds on documents ocibatch reads into memory.
///
/// Registries commonly cap manifests at 4 MiB (distribution's default); configs of real images are
/// a few KiB, but images with long histories reach hundreds of KiB, so they get 8 MiB.
public enum ContentLimits {
    /// Largest image manifest or index accepted: 4 MiB.
    public static let manifestBytes = 4 << 20
    /// Largest image config accepted: 8 MiB.
    public static let configBytes = 8 << 20
    /// Deepest JSON nesting accepted in either.
    public static let jsonDepth = 64
    /// Most levels of indexes in one tree (the root index is level 1). Copy, inspect and mutation
    /// all stop here, so ocibatch never writes a tree it cannot read back.
    public static let maxIndexDepth = 8
}
