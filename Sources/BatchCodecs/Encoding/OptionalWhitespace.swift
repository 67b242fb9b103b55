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

extension String {
    /// `StringProtocol.trimmed`, returning the string itself when there is nothing to
    /// trim (nearly always: every request's key goes through here), with no walk over
    /// characters and no copy. A space or tab is one byte and one character, so ends
    /// that are neither byte are ends that are neither character.
    public var trimmed: String {
        guard let first = utf8.first, let last = utf8.last else { return self }
        if first != 0x20, first != 0x09, last != 0x20, last != 0x09 { return self }
        return self[...].trimmed
    }
}
