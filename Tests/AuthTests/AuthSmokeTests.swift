import Testing

@Test func placeholderAuth() { #expect(Bool(true)) }
