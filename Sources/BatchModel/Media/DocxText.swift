/// The words of a Word document's `document.xml`: tags removed, paragraphs
/// (`</w:p>`) and breaks (`<w:br/>`, `<w:tab/>`) kept apart, runs joined as they
/// render (a word split across runs counts once).
public enum DocxText {
    public static func words(in xml: [UInt8]) -> Int {
        var text: [UInt8] = []
        text.reserveCapacity(xml.count / 4)
        var index = 0
        while index < xml.count {
            if xml[index] == UInt8(ascii: "<") {
                var end = index + 1
                while end < xml.count, xml[end] != UInt8(ascii: ">") { end += 1 }
                let tag = String(decoding: xml[(index + 1)..<min(end, xml.count)], as: UTF8.self)
                if tag == "/w:p" || tag.hasPrefix("w:br") || tag.hasPrefix("w:tab") || tag.hasPrefix("w:cr") { text.append(0x20) }
                index = end + 1
            } else {
                text.append(xml[index])
                index += 1
            }
        }
        return String(decoding: text, as: UTF8.self).split(whereSeparator: { $0.isWhitespace }).count
    }
}
