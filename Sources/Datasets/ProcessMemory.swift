import CImageCodecs

/// Process-wide allocator settings for tools that decode many images.
public enum ProcessMemory {
    /// Every image allocates and frees buffers of about a megabyte (decoded pixels, resampling passes).
    /// glibc's defaults hand such memory back to the kernel at once, and taking it back costs a page fault
    /// per 4 KB: 32,800 faults for 252 JPEGs, ~15 % of decode + crop. Keeping up to 256 MB of freed memory
    /// in the process and serving allocations up to 32 MB from the heap leaves 2,800. Call once, early
    /// (dit-extract does); a no-op with other C libraries.
    public static func keepFreedImageBuffers() {
        ditport_keep_freed_memory(256 << 20, 32 << 20)
    }
}
