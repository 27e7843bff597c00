//! The extension's allocator: polars' (through [`PolarsAllocator`]) when the library runs
//! inside Python, the system's otherwise (the Rust tests link the library without starting
//! Python; asking polars' allocator there would only fall back to the system's, with a
//! warning on every test binary).

use pyo3_polars::PolarsAllocator;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU8, Ordering};

const UNDECIDED: u8 = 0;
const POLARS: u8 = 1;
const SYSTEM: u8 = 2;

pub struct ExtensionAllocator {
    polars: PolarsAllocator,
    /// Decided at the first allocation and never changed, so every block is freed by the
    /// allocator that made it.
    choice: AtomicU8,
}

impl ExtensionAllocator {
    pub const fn new() -> Self {
        ExtensionAllocator {
            polars: PolarsAllocator::new(),
            choice: AtomicU8::new(UNDECIDED),
        }
    }

    #[inline]
    fn polars(&self) -> Option<&PolarsAllocator> {
        let mut choice = self.choice.load(Ordering::Relaxed);
        if choice == UNDECIDED {
            // SAFETY: `Py_IsInitialized` may be called at any time, even before Python
            // starts, and does not allocate.
            let in_python = unsafe { pyo3::ffi::Py_IsInitialized() } != 0;
            choice = if in_python { POLARS } else { SYSTEM };
            self.choice.store(choice, Ordering::Relaxed);
        }
        (choice == POLARS).then_some(&self.polars)
    }
}

impl Default for ExtensionAllocator {
    fn default() -> Self {
        Self::new()
    }
}

// SAFETY: every call goes to one allocator, the same for the life of the process.
unsafe impl GlobalAlloc for ExtensionAllocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match self.polars() {
            Some(polars) => polars.alloc(layout),
            None => System.alloc(layout),
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        match self.polars() {
            Some(polars) => polars.dealloc(ptr, layout),
            None => System.dealloc(ptr, layout),
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        match self.polars() {
            Some(polars) => polars.alloc_zeroed(layout),
            None => System.alloc_zeroed(layout),
        }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        match self.polars() {
            Some(polars) => polars.realloc(ptr, layout, new_size),
            None => System.realloc(ptr, layout, new_size),
        }
    }
}
