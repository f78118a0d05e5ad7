import Testing

@Test func placeholderSMTP() { #expect(Bool(true)) }
