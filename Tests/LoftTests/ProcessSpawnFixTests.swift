import Testing
import TestSupport

@Suite struct ProcessSpawnFixTests {
    @Test("readdir in the test runner hands out full-size entries, so Foundation's Process.run() cannot over-read into an unmapped page")
    func applied() {
        #expect(ProcessSpawnFix.isApplied)
    }
}
