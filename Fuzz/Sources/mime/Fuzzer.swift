import FuzzTargets

// libFuzzer's entry point (the file must not be main.swift: libFuzzer provides main).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzTargets.mime(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
