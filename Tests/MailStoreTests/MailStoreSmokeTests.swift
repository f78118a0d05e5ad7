import Testing

@Test func placeholderMailStore() { #expect(Bool(true)) }
