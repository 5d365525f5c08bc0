import Foundation
import HTTPClient

extension RegistryClient {
    /// Every tag of `repository`, following `Link` pagination, sorted.
    public func listTags(_ repository: String) async throws -> [String] {
        let first = try await url("\(repository)/tags/list", query: [URLQueryItem(name: "n", value: "1000")])
        let tags = try await paginated(first, field: "tags", scopes: [Scope.pull(repository)])
        return tags.sorted()
    }

    /// Every repository the registry lists in its catalog, following `Link` pagination.
    public func catalog(pageSize: Int = 100) async throws -> [String] {
        let first = try await url("_catalog", query: [URLQueryItem(name: "n", value: String(pageSize))])
        return try await paginated(first, field: "repositories", scopes: [Scope.catalog])
    }

    /// Reads a JSON string array from each page, following `Link: <…>; rel="next"`.
    private func paginated(_ first: URL, field: String, scopes: [String]) async throws -> [String] {
        var next: URL? = first
        var items: [String] = []
        var pages = 0
        while let page = next {
            pages += 1
            guard pages <= 10_000 else {
                throw RegistryError(.invalidResponse, url: first.absoluteString, message: "pagination does not end")
            }
            let response = try await send(
                RegistryRequest(method: .get, url: page, response: .collect(limit: 16 << 20), scopes: scopes))
            guard let object = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any] else {
                throw RegistryError(
                    .invalidResponse, method: "GET", url: page.absoluteString,
                    message: "the answer is not a JSON object")
            }
            items += object[field] as? [String] ?? []
            next = Self.nextLink(response.headers.values(for: "Link"), relativeTo: page)
        }
        return items
    }

    /// The `rel="next"` target among `Link` header values, resolved against the page URL.
    static func nextLink(_ values: [String], relativeTo base: URL) -> URL? {
        for value in values {
            for link in value.split(separator: ",") {
                let parts = link.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
                guard let target = parts.first, target.hasPrefix("<"), target.hasSuffix(">") else { continue }
                let isNext = parts.dropFirst().contains { parameter in
                    let pair = parameter.split(separator: "=", maxSplits: 1).map {
                        $0.trimmingCharacters(in: CharacterSet(charactersIn: " \"")).lowercased()
                    }
                    return pair.count == 2 && pair[0] == "rel" && pair[1].split(separator: " ").contains("next")
                }
                if isNext { return URL(string: String(target.dropFirst().dropLast()), relativeTo: base)?.absoluteURL }
            }
        }
        return nil
    }
}
