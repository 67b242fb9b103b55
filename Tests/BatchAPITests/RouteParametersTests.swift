import Testing

@testable import BatchAPI

@Suite struct RouteParametersTests {
    @Test func looksUpReplacesAndRemovesByName() {
        var parameters: RouteParameters = ["batch_id": "b1", "item_id": "i1"]
        #expect(parameters["batch_id"] == "b1" && parameters["item_id"] == "i1" && parameters["other"] == nil)
        parameters["batch_id"] = "b2"
        #expect(parameters["batch_id"] == "b2" && parameters.pairs.count == 2)
        parameters["item_id"] = nil
        #expect(parameters.pairs.map(\.name) == ["batch_id"])
        parameters["item_id"] = "i2"
        parameters["batch_id"] = nil
        #expect(parameters.pairs.map(\.name) == ["item_id"] && parameters["item_id"] == "i2" && !parameters.isEmpty)
        parameters["item_id"] = nil
        #expect(parameters.isEmpty && parameters.pairs.isEmpty)
        #expect(RouteParameters().isEmpty)
    }

    @Test func equalityIgnoresOrder() {
        #expect(RouteParameters(dictionaryLiteral: ("a", "1"), ("b", "2")) == ["b": "2", "a": "1"])
        #expect(RouteParameters(dictionaryLiteral: ("a", "1")) != ["a": "2"])
        #expect(RouteParameters(dictionaryLiteral: ("a", "1")) != ["a": "1", "b": "2"])
    }
}
