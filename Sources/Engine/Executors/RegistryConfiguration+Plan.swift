import Foundation
import Registry

extension RegistryConfiguration {
    /// The registry settings a plan asks for: `defaults.dockerConfig`, `insecureRegistries`,
    /// `userAgent` and `caFile`, and each `registries` entry's `caFile` and `insecure`.
    public static func forPlan(
        _ plan: Plan, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> RegistryConfiguration {
        var insecure = Set(plan.defaults.insecureRegistries)
        var caFiles: [String: String] = [:]
        for (host, settings) in plan.registries {
            if settings.insecure { insecure.insert(host) }
            if let caFile = settings.caFile { caFiles[host] = caFile }
        }
        return RegistryConfiguration(
            userAgent: plan.defaults.userAgent, insecureRegistries: insecure, caFile: plan.defaults.caFile,
            caFiles: caFiles,
            dockerConfig: try DockerConfig.load(path: plan.defaults.dockerConfig, environment: environment))
    }
}
