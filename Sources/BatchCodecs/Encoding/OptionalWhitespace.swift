extension StringProtocol {
    /// Without the spaces and tabs at either end: HTTP's optional whitespace
    /// (RFC 9110 §5.6.3) around header values, parameters and list elements.
    public var trimmed: String {
        var text = Substring(self)
        while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
        return String(text)
    }
}
