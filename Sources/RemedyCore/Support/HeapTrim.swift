import Foundation

/// Hands the heap's free pages back to the system between two large steps of one process:
/// glibc keeps what a step freed (remedy evidence's million small answers and checks) and the
/// next step (reading the new plan back) would count on top of it. glibc's `malloc_trim`, found
/// at run time: where there is none, nothing is done.
public enum HeapTrim {
    private typealias MallocTrim = @convention(c) (Int) -> Int32

    public static func releaseFreePages() {
        guard let symbol = dlsym(nil, "malloc_trim") else { return }
        _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
    }
}
