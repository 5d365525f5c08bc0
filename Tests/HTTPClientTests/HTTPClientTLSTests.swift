import Foundation
import HTTPClient
import TestSupport
import Testing

@Suite struct HTTPClientTLSTests {
    enum Trust: CaseIterable {
        case systemDefault
        case skipVerification
        case serverCertificateAsCA
        case missingCAFile
    }

    @Test(arguments: Trust.allCases)
    func tlsSettingsDecideWhetherASelfSignedServerIsAccepted(_ trust: Trust) async throws {
        let server = try HTTPTestTLSServer()
        defer { server.stop() }
        var options = HTTPTransferOptions(connectTimeout: .seconds(10))
        switch trust {
        case .systemDefault: break
        case .skipVerification: options.insecureSkipTLSVerify = true
        case .serverCertificateAsCA: options.caFile = server.certificatePath
        case .missingCAFile: options.caFile = "/nonexistent/ca.pem"
        }
        let request = HTTPRequest(method: .get, url: server.url("/v2/"), options: options)
        let client = makeClient()
        switch trust {
        case .skipVerification, .serverCertificateAsCA:
            let response = try await client.execute(request)
            #expect(response.status == 200)
        case .systemDefault, .missingCAFile:
            let error = await httpError { _ = try await client.execute(request) }
            #expect(error?.code == .tlsFailure)
            #expect(error?.isRetryable == false)
        }
    }
}
