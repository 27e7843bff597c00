//! `.zsav`: the bytecode-compressed case data cut into blocks, each deflated with zlib,
//! between a zheader (right after the dictionary) and a ztrailer (at the end) that lists
//! the blocks (PSPP, "System File Format", "Compressed Data").

use super::cursor::Cursor;
use crate::error::ImportError;
use std::io::Read;

/// One ztrailer entry: where a block's bytes are and how big it is either way.
struct Block {
    compressed_ofs: i64,
    uncompressed_size: usize,
    compressed_size: usize,
}

/// zlib cannot expand data more than about 1032 times (deflate's longest match per bit);
/// a block claiming more is damaged, and this bounds what inflating it may allocate.
const MAX_RATIO: usize = 1100;

/// Inflates every block into one bytecode stream. `c` stands at the zheader; `file` is the
/// whole file (the ztrailer is found by offset).
pub(super) fn inflate(c: &mut Cursor, file: &[u8]) -> Result<Vec<u8>, ImportError> {
    let header_at = c.offset();
    let zheader_ofs = c.i64("zheader")?;
    let ztrailer_ofs = c.i64("zheader")?;
    let ztrailer_len = c.i64("zheader")?;
    if zheader_ofs != header_at as i64 {
        return Err(c.bad_at(
            header_at,
            format!("the zheader says it is at byte {zheader_ofs}"),
        ));
    }
    let trailer_at = usize::try_from(ztrailer_ofs)
        .ok()
        .filter(|&t| t >= c.offset() && t <= file.len())
        .ok_or_else(|| {
            c.bad_at(
                header_at,
                format!(
                    "the ztrailer offset {ztrailer_ofs} is outside the file ({} bytes)",
                    file.len()
                ),
            )
        })?;
    let blocks = read_trailer(c, file, trailer_at, ztrailer_len)?;
    let mut out = Vec::new();
    // Blocks follow one another from the end of the zheader to the ztrailer.
    let mut next = c.offset();
    for (i, b) in blocks.iter().enumerate() {
        inflate_block(c, file, b, i, (next, trailer_at), &mut out)?;
        next += b.compressed_size;
    }
    Ok(out)
}

fn read_trailer(c: &Cursor, file: &[u8], at: usize, len: i64) -> Result<Vec<Block>, ImportError> {
    let mut t = c.sub(file.get(at..).unwrap_or_default(), at);
    let entries = usize::try_from(len)
        .ok()
        .filter(|&l| l >= 24 && l % 24 == 0 && l <= t.remaining())
        .map(|l| l / 24 - 1)
        .ok_or_else(|| {
            t.bad_at(
                at,
                format!(
                    "ztrailer length {len} (expected 24 × (blocks + 1), within the {} bytes left)",
                    t.remaining()
                ),
            )
        })?;
    t.i64("ztrailer")?;
    t.i64("ztrailer")?;
    let block_size = size(&mut t, "ztrailer block size")?;
    let n_blocks = t.i32("ztrailer block count")?;
    if usize::try_from(n_blocks).ok() != Some(entries) {
        return Err(t.bad_at(
            at,
            format!("the ztrailer lists {n_blocks} blocks but its length holds {entries}"),
        ));
    }
    let mut blocks = Vec::with_capacity(entries);
    for _ in 0..entries {
        let at = t.offset();
        // The uncompressed offset is not needed: blocks are inflated in order.
        t.i64("ztrailer entry")?;
        let b = Block {
            compressed_ofs: t.i64("ztrailer entry")?,
            uncompressed_size: size(&mut t, "ztrailer entry")?,
            compressed_size: size(&mut t, "ztrailer entry")?,
        };
        if b.uncompressed_size > block_size.max(1)
            || b.uncompressed_size > b.compressed_size.saturating_mul(MAX_RATIO)
        {
            return Err(t.bad_at(at, format!(
                "a block of {} bytes inflating to {} (block size {block_size}): more than zlib can produce",
                b.compressed_size, b.uncompressed_size
            )));
        }
        blocks.push(b);
    }
    Ok(blocks)
}

fn size(t: &mut Cursor, what: &str) -> Result<usize, ImportError> {
    let at = t.offset();
    let n = t.i32(what)?;
    usize::try_from(n).map_err(|_| t.bad_at(at, format!("{what}: negative size {n}")))
}

/// One block, which must start at `span.0` (where the previous ended) and end before the
/// ztrailer at `span.1`.
fn inflate_block(
    c: &Cursor,
    file: &[u8],
    b: &Block,
    i: usize,
    span: (usize, usize),
    out: &mut Vec<u8>,
) -> Result<(), ImportError> {
    let (expected, trailer_at) = span;
    let bytes = usize::try_from(b.compressed_ofs)
        .ok()
        .filter(|&s| s == expected && b.compressed_size <= trailer_at.saturating_sub(s))
        .and_then(|s| file.get(s..s + b.compressed_size))
        .ok_or_else(|| {
            c.bad_at(
                expected,
                format!(
                    "zlib block {} is listed at byte {} with {} bytes (expected to start at byte {expected} and end before the ztrailer at {trailer_at})",
                    i + 1,
                    b.compressed_ofs,
                    b.compressed_size
                ),
            )
        })?;
    let before = out.len();
    // At most one byte more than declared is inflated, so a lying block cannot grow `out`.
    let mut decoder = flate2::read::ZlibDecoder::new(bytes).take(b.uncompressed_size as u64 + 1);
    decoder.read_to_end(out).map_err(|e| {
        c.bad_at(
            expected,
            format!("zlib block {} does not inflate: {e}", i + 1),
        )
    })?;
    let got = out.len() - before;
    if got != b.uncompressed_size {
        return Err(c.bad_at(
            expected,
            format!(
                "zlib block {} inflates to {got} bytes, the ztrailer says {}",
                i + 1,
                b.uncompressed_size
            ),
        ));
    }
    Ok(())
}
