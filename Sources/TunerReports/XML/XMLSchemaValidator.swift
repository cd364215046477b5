import CLibXML2
import Foundation

/// Validates XML documents against an XML Schema (XSD) with libxml2, reporting each
/// problem with its line.
///
/// ```swift
/// let validator = try XMLSchemaValidator(schemaAt: "Fixtures/schemas/junit/junit-10.xsd")
/// let problems = validator.validate(data)     // [] when valid
/// ```
public final class XMLSchemaValidator {
    private let schema: xmlSchemaPtr

    /// Loads a schema file.
    ///
    /// - Throws: ``ReportError`` when the file does not load as a schema.
    public init(schemaAt path: String) throws {
        guard let parser = xmlSchemaNewParserCtxt(path) else { throw ReportError("cannot read the schema at \(path)") }
        defer { xmlSchemaFreeParserCtxt(parser) }
        let collector = ProblemCollector()
        let box = Unmanaged.passRetained(collector)
        defer { box.release() }
        xmlSchemaSetParserStructuredErrors(
            parser,
            { context, error in
                guard let context, let error else { return }
                Unmanaged<ProblemCollector>.fromOpaque(context).takeUnretainedValue().add(error)
            }, box.toOpaque())
        guard let schema = xmlSchemaParse(parser) else {
            throw ReportError("the schema at \(path) does not load: \(collector.problems.joined(separator: "; "))")
        }
        self.schema = schema
    }

    deinit { xmlSchemaFree(schema) }

    /// The problems of a document: empty when it is well-formed and valid.
    public func validate(_ document: Data) -> [String] {
        let collector = ProblemCollector()
        let box = Unmanaged.passRetained(collector)
        defer { box.release() }
        let options = Int32(XML_PARSE_NONET.rawValue)
        let parsed: xmlDocPtr? = document.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return nil }
            return xmlReadMemory(base.assumingMemoryBound(to: CChar.self), Int32(raw.count), "report.xml", nil, options)
        }
        guard let doc = parsed else {
            let message = xmlGetLastError().map {
                String(cString: $0.pointee.message).trimmingCharacters(in: .whitespacesAndNewlines)
            }
            return ["not well-formed XML" + (message.map { ": \($0)" } ?? "")]
        }
        defer { xmlFreeDoc(doc) }
        guard let context = xmlSchemaNewValidCtxt(schema) else {
            return ["libxml2 could not create a validation context"]
        }
        defer { xmlSchemaFreeValidCtxt(context) }
        xmlSchemaSetValidStructuredErrors(
            context,
            { context, error in
                guard let context, let error else { return }
                Unmanaged<ProblemCollector>.fromOpaque(context).takeUnretainedValue().add(error)
            }, box.toOpaque())
        let result = xmlSchemaValidateDoc(context, doc)
        if result != 0 && collector.problems.isEmpty { return ["invalid (libxml2 code \(result))"] }
        return collector.problems
    }
}

/// Collects libxml2's structured errors as "line N: message".
final class ProblemCollector {
    var problems: [String] = []

    func add(_ error: xmlErrorPtr) {
        let message =
            error.pointee.message.map { String(cString: $0) }?.trimmingCharacters(in: .whitespacesAndNewlines)
            ?? "error"
        problems.append("line \(error.pointee.line): \(message)")
    }
}
