/// The words of a Word document's `document.xml`, counted as the XML streams in:
/// tags removed, paragraphs (`</w:p>`) and breaks (`<w:br/>`, `<w:tab/>`,
/// `<w:cr/>`) kept apart, runs joined as they render (a word split across runs
/// counts once). Memory is a few bytes whatever the document's size.
public struct DocxText: Sendable {
    private var counter = WordCounter()
    private var inTag = false
    /// The first bytes of the tag being read (enough to tell the break tags) and its length.
    private var tag: [UInt8] = []
    private var tagLength = 0

    public init() {}

    public var words: Int { counter.words }

    public mutating func feed(_ bytes: UnsafeBufferPointer<UInt8>) {
        for byte in bytes {
            if inTag {
                if byte == UInt8(ascii: ">") {
                    inTag = false
                    if isBreak { counter.feed(0x20) }
                } else {
                    if tag.count < 5 { tag.append(byte) }
                    tagLength += 1
                }
            } else if byte == UInt8(ascii: "<") {
                inTag = true
                tag.removeAll(keepingCapacity: true)
                tagLength = 0
            } else {
                counter.feed(byte)
            }
        }
    }

    private var isBreak: Bool {
        (tagLength == 4 && tag.elementsEqual("/w:p".utf8)) || tag.starts(with: "w:br".utf8) || tag.starts(with: "w:tab".utf8)
            || tag.starts(with: "w:cr".utf8)
    }

    /// The words of a whole document held in memory.
    public static func words(in xml: [UInt8]) -> Int {
        var text = DocxText()
        xml.withUnsafeBufferPointer { text.feed($0) }
        return text.words
    }
}
