import BatchCodecs
import Testing

struct OptionalWhitespaceTests {
    /// Spaces and tabs go from both ends, nothing else does; a value without any
    /// comes back as it was (the path every request's key takes).
    @Test func spacesAndTabsLeaveBothEndsOnly() {
        let cases: [(String, String)] = [
            ("", ""), ("   ", ""), ("\t \t", ""), ("key", "key"), (" key", "key"), ("key\t", "key"), (" \tk e y\t ", "k e y"),
            ("\nkey\n", "\nkey\n"), (" \u{301}key", " \u{301}key"), ("key \u{301}", "key \u{301}"), ("é ", "é"),
        ]
        for (input, expected) in cases {
            #expect(input.trimmed == expected, "\(input.debugDescription)")
            #expect(input[...].trimmed == expected, "\(input.debugDescription)")
        }
    }
}
