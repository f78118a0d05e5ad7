/// A Microsoft Autodiscover "POX" request (the Outlook request schema, 2006):
///
///     <Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
///       <Request>
///         <EMailAddress>alice@example.org</EMailAddress>
///         <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>
///       </Request>
///     </Autodiscover>
struct AutodiscoverRequest: Sendable, Equatable {
    static let requestSchema = "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"
    static let responseSchema = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
    /// Outlook's request is a few hundred bytes; anything past this is not one.
    static let maximumSize = 16 * 1024

    struct Invalid: Error, Equatable, CustomStringConvertible {
        var description: String
    }

    var emailAddress: String

    /// Parses a request body: well-formed XML (no DTD, no entities beyond XML's five), the root
    /// `Autodiscover` in the request schema's namespace, one `Request` with one `EMailAddress`, and an
    /// `AcceptableResponseSchema`, when present, naming the 2006a response schema (the only one served).
    static func parse(_ body: [UInt8]) throws(Invalid) -> AutodiscoverRequest {
        guard body.count <= maximumSize else { throw Invalid(description: "the request is larger than \(maximumSize) bytes") }
        let root: StrictXMLElement
        do {
            root = try StrictXMLElement.parseDocument(body)
        } catch {
            throw Invalid(description: "the request is not well-formed XML: \(error.description)")
        }
        guard root.name == "Autodiscover", root.namespace == requestSchema else {
            throw Invalid(description: "the root element is not Autodiscover in the Outlook request schema (\(requestSchema))")
        }
        let requests = root.children(named: "Request")
        guard requests.count == 1, let request = requests.first else { throw Invalid(description: "expected one Request element") }
        let addresses = request.children(named: "EMailAddress")
        guard addresses.count == 1, let address = addresses.first?.text.trimmingXMLWhitespace(), !address.isEmpty else {
            throw Invalid(description: "expected one non-empty EMailAddress element")
        }
        for schema in request.children(named: "AcceptableResponseSchema") where schema.text.trimmingXMLWhitespace() != responseSchema {
            throw Invalid(description: "only the response schema \(responseSchema) is served")
        }
        return AutodiscoverRequest(emailAddress: address)
    }
}
