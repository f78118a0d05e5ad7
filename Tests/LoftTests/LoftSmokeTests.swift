import Testing

@Test func placeholderLoft() { #expect(Bool(true)) }
