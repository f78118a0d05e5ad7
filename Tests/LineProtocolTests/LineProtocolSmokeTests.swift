import Testing

@Test func placeholderLineProtocol() { #expect(Bool(true)) }
