import Testing
@testable import MIME

@Test func defaultLimitsMatchDovecot() {
    #expect(MIMELimits.default.maxNestingDepth == 100)
    #expect(MIMELimits.default.maxPartCount == 10_000)
}
