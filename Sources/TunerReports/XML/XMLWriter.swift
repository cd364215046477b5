import CLibXML2
import Foundation
import TunerCore

/// Writes an XML document with libxml2's text writer, which escapes `& < > "` in text and
/// attributes. Strings must be sanitized first (``ReportText``): the writer passes control
/// characters through.
///
/// ```swift
/// let writer = try XMLWriter()
/// try writer.start("testsuites", ["name": "swifttuner"])
/// try writer.end()
/// let data = try writer.finish()
/// ```
public final class XMLWriter {
    private let buffer: xmlBufferPtr
    private let writer: xmlTextWriterPtr

    /// Starts a UTF-8 document, indented.
    public init() throws {
        guard let buffer = xmlBufferCreate() else { throw ReportError("libxml2 could not allocate a buffer") }
        guard let writer = xmlNewTextWriterMemory(buffer, 0) else {
            xmlBufferFree(buffer)
            throw ReportError("libxml2 could not create a text writer")
        }
        self.buffer = buffer
        self.writer = writer
        xmlTextWriterSetIndent(writer, 1)
        xmlTextWriterSetIndentString(writer, "  ")
        try check(xmlTextWriterStartDocument(writer, "1.0", "UTF-8", nil), "start the document")
    }

    deinit {
        xmlFreeTextWriter(writer)
        xmlBufferFree(buffer)
    }

    /// Opens an element with attributes, in the given order.
    public func start(_ name: String, _ attributes: KeyValuePairs<String, String> = [:]) throws {
        try check(xmlTextWriterStartElement(writer, name), "open <\(name)>")
        for (key, value) in attributes {
            try check(xmlTextWriterWriteAttribute(writer, key, value), "write \(key)=")
        }
    }

    /// Opens an element with attributes from an array of pairs.
    public func start(_ name: String, pairs: [(String, String)]) throws {
        try check(xmlTextWriterStartElement(writer, name), "open <\(name)>")
        for (key, value) in pairs {
            try check(xmlTextWriterWriteAttribute(writer, key, value), "write \(key)=")
        }
    }

    /// Writes escaped text inside the open element.
    public func text(_ text: String) throws {
        try check(xmlTextWriterWriteString(writer, text), "write text")
    }

    /// Writes `<name attributes…>text</name>`.
    public func element(_ name: String, pairs: [(String, String)] = [], text: String? = nil) throws {
        try start(name, pairs: pairs)
        if let text { try self.text(text) }
        try end()
    }

    /// Closes the innermost open element.
    public func end() throws {
        try check(xmlTextWriterEndElement(writer), "close an element")
    }

    /// Closes everything and returns the document's bytes.
    public func finish() throws -> Data {
        try check(xmlTextWriterEndDocument(writer), "end the document")
        xmlTextWriterFlush(writer)
        guard let content = xmlBufferContent(buffer) else { return Data() }
        return Data(bytes: content, count: Int(xmlBufferLength(buffer)))
    }

    private func check(_ code: Int32, _ what: String) throws {
        if code < 0 { throw ReportError("libxml2 could not \(what)") }
    }
}

/// A report that cannot be written or read.
///
/// ```swift
/// throw ReportError("the schema at junit-10.xsd does not load")
/// ```
public struct ReportError: MessageError, Equatable {
    /// What went wrong.
    public var message: String
    /// Makes the error.
    public init(_ message: String) { self.message = message }
}
