#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// glibc's `posix_spawn_file_actions_addclosefrom_np` and `…_addchdir_np` (2.34 / 2.29) are hidden from Swift
/// behind _GNU_SOURCE, so they are looked up at run time; callers fall back when they are missing.
enum SpawnExtensions {
    #if canImport(Darwin)
    typealias Actions = posix_spawn_file_actions_t?
    #else
    typealias Actions = posix_spawn_file_actions_t
    #endif
    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<Actions>, Int32) -> Int32
    private typealias ChangeDirectory = @convention(c) (UnsafeMutablePointer<Actions>, UnsafePointer<CChar>) -> Int32

    private static func symbol(_ name: String) -> UnsafeMutableRawPointer? {
        guard let process = dlopen(nil, RTLD_NOW) else { return nil }
        return dlsym(process, name)
    }

    /// Adds "close every descriptor ≥ `lowest`"; false if this libc cannot.
    static func addCloseFrom(_ actions: UnsafeMutablePointer<Actions>, _ lowest: Int32) -> Bool {
        #if canImport(Darwin)
        return false
        #else
        guard let address = symbol("posix_spawn_file_actions_addclosefrom_np") else { return false }
        return unsafeBitCast(address, to: CloseFrom.self)(actions, lowest) == 0
        #endif
    }

    /// Adds "change directory to `path`"; false if this libc cannot.
    static func addChangeDirectory(_ actions: UnsafeMutablePointer<Actions>, _ path: String) -> Bool {
        guard let address = symbol("posix_spawn_file_actions_addchdir_np") else { return false }
        return path.withCString { unsafeBitCast(address, to: ChangeDirectory.self)(actions, $0) == 0 }
    }
}
