import Testing

@Test func placeholderPOP3() { #expect(Bool(true)) }
