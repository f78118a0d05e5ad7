import LineProtocol
import NIOCore
import NIOEmbedded
import Testing

@Suite struct IdleTimerTests {
    @Test("fires once after the timeout without input; input and paused work push it back")
    func firesWhenIdle() throws {
        let loop = EmbeddedEventLoop()
        let timer = IdleTimer(timeout: .seconds(600))
        var paused = false
        var fired = 0
        timer.start(on: loop, isPaused: { paused }) { fired += 1 }

        loop.advanceTime(by: .seconds(400))
        timer.touch()
        loop.advanceTime(by: .seconds(400))
        #expect(fired == 0, "input 400 s ago: not idle yet")

        paused = true
        loop.advanceTime(by: .seconds(900))
        #expect(fired == 0, "a session waiting on its own work is not idle")

        paused = false
        loop.advanceTime(by: .seconds(1))
        #expect(fired == 1)
        loop.advanceTime(by: .seconds(3600))
        #expect(fired == 1, "it fires only once")
        try loop.syncShutdownGracefully()
    }

    @Test("cancel stops it")
    func cancel() throws {
        let loop = EmbeddedEventLoop()
        let timer = IdleTimer(timeout: .seconds(10))
        var fired = false
        timer.start(on: loop, isPaused: { false }) { fired = true }
        timer.cancel()
        loop.advanceTime(by: .seconds(60))
        #expect(!fired)
        try loop.syncShutdownGracefully()
    }
}
