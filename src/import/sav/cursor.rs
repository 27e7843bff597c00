//! A bounds-checked reader over a `.sav`'s bytes. Every size or count taken from the file
//! is checked against the bytes that are left before anything is allocated or looped over,
//! so a damaged file is an error naming the byte, never an allocation failure or a panic.

use crate::error::ImportError;
use std::fmt::Display;

#[derive(Clone)]
pub(super) struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// Offset of `bytes[0]` in the file, so errors inside a record name the file's byte.
    base: usize,
    pub big_endian: bool,
    pub file: &'a str,
}

impl<'a> Cursor<'a> {
    pub fn new(bytes: &'a [u8], file: &'a str) -> Self {
        Cursor {
            bytes,
            pos: 0,
            base: 0,
            big_endian: false,
            file,
        }
    }

    /// A cursor over a record's data, reporting offsets in the whole file.
    pub fn sub(&self, bytes: &'a [u8], offset: usize) -> Cursor<'a> {
        Cursor {
            bytes,
            pos: 0,
            base: offset,
            big_endian: self.big_endian,
            file: self.file,
        }
    }

    /// The file offset of the next byte.
    pub fn offset(&self) -> usize {
        self.base + self.pos
    }

    pub fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.pos)
    }

    pub fn at_end(&self) -> bool {
        self.remaining() == 0
    }

    /// Everything not read yet.
    pub fn rest(&self) -> &'a [u8] {
        self.bytes.get(self.pos..).unwrap_or_default()
    }

    pub fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], ImportError> {
        if n > self.remaining() {
            return Err(ImportError::Parse {
                file: self.file.into(),
                message: format!(
                    "the data end at byte {} inside the {what} (byte {} needs {n} more): the .sav is truncated or not an SPSS file; copy or export it again",
                    self.base + self.bytes.len(),
                    self.offset()
                ),
            });
        }
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], ImportError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N, what)?);
        Ok(a)
    }

    pub fn u8(&mut self, what: &str) -> Result<u8, ImportError> {
        Ok(self.array::<1>(what)?[0])
    }

    pub fn i32(&mut self, what: &str) -> Result<i32, ImportError> {
        let b = self.array(what)?;
        Ok(if self.big_endian {
            i32::from_be_bytes(b)
        } else {
            i32::from_le_bytes(b)
        })
    }

    pub fn i64(&mut self, what: &str) -> Result<i64, ImportError> {
        let b = self.array(what)?;
        Ok(if self.big_endian {
            i64::from_be_bytes(b)
        } else {
            i64::from_le_bytes(b)
        })
    }

    pub fn f64(&mut self, what: &str) -> Result<f64, ImportError> {
        let b = self.array(what)?;
        Ok(self.number(b))
    }

    pub fn eight(&mut self, what: &str) -> Result<[u8; 8], ImportError> {
        self.array(what)
    }

    /// Eight bytes as a number in the file's byte order.
    pub fn number(&self, b: [u8; 8]) -> f64 {
        if self.big_endian {
            f64::from_be_bytes(b)
        } else {
            f64::from_le_bytes(b)
        }
    }

    /// A count of things at least `item_bytes` long each that must still fit in the data:
    /// the bound that keeps a damaged count from sizing an allocation or a loop.
    pub fn count(&mut self, what: &str, item_bytes: usize) -> Result<usize, ImportError> {
        let at = self.offset();
        let n = self.i32(what)?;
        let room = self.remaining() / item_bytes.max(1);
        match usize::try_from(n) {
            Ok(n) if n <= room => Ok(n),
            _ => Err(self.bad_at(
                at,
                format!(
                    "{what}: count {n}, but the {} bytes left hold at most {room} (the .sav is truncated or damaged)",
                    self.remaining()
                ),
            )),
        }
    }

    pub fn bad_at(&self, at: usize, message: impl Display) -> ImportError {
        ImportError::Parse {
            file: self.file.into(),
            message: format!(
                "byte {at}: {message}; the .sav is damaged or not an SPSS system file"
            ),
        }
    }
}
