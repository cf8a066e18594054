//! A capture time drawn into a frame's pixels, and read back after encoding, relaying and
//! decoding: how the tests and the benchmark measure glass-to-glass delay without trusting
//! any timestamp the pipeline carries.
//!
//! The stamp is one row of square blocks across the top of the luma plane: a white start
//! block, 48 bits of milliseconds (most significant first; white is 1), 8 bits of checksum,
//! a black end block. Blocks are as large as the width allows (at least 8 pixels), which
//! survives H.264 at ordinary bitrates; each is read at its centre.

/// Data bits: milliseconds since the Unix epoch fit in 48 bits until the year 10889.
const TIME_BITS: usize = 48;
const CHECK_BITS: usize = 8;
/// Start marker, data, checksum, end marker.
const BLOCKS: usize = 1 + TIME_BITS + CHECK_BITS + 1;

/// The side of a block for a frame `width` pixels wide (`None` if too narrow).
pub fn block_size(width: usize) -> Option<usize> {
    let b = width / BLOCKS;
    (b >= 8).then_some(b)
}

fn checksum(ms: u64) -> u8 {
    ms.to_be_bytes().iter().fold(0xa5u8, |acc, b| acc.rotate_left(1) ^ b)
}

fn bits(ms: u64) -> impl Iterator<Item = bool> {
    let ms = ms & ((1 << TIME_BITS) - 1);
    let c = checksum(ms);
    std::iter::once(true)
        .chain((0..TIME_BITS).rev().map(move |i| ms >> i & 1 == 1))
        .chain((0..CHECK_BITS).rev().map(move |i| c >> i & 1 == 1))
        .chain(std::iter::once(false))
}

/// Draws `ms` into the luma plane `luma` (`width` × `height`, one byte per pixel).
/// Returns false (drawing nothing) if the frame is too small.
pub fn draw(luma: &mut [u8], width: usize, height: usize, ms: u64) -> bool {
    let Some(b) = block_size(width) else { return false };
    if height < b || luma.len() < width * height {
        return false;
    }
    for (i, bit) in bits(ms).enumerate() {
        let v = if bit { 235 } else { 16 };
        for y in 0..b {
            luma[y * width + i * b..y * width + (i + 1) * b].fill(v);
        }
    }
    true
}

/// Reads the stamp of a decoded luma plane, if there is a whole, consistent one.
pub fn read(luma: &[u8], width: usize, height: usize) -> Option<u64> {
    let b = block_size(width)?;
    if height < b || luma.len() < width * height {
        return None;
    }
    let y = b / 2;
    let bit = |i: usize| luma[y * width + i * b + b / 2] >= 128;
    if !bit(0) || bit(BLOCKS - 1) {
        return None;
    }
    let ms = (1..=TIME_BITS).fold(0u64, |acc, i| (acc << 1) | u64::from(bit(i)));
    let c = (TIME_BITS + 1..=TIME_BITS + CHECK_BITS).fold(0u8, |acc, i| (acc << 1) | u8::from(bit(i)));
    (c == checksum(ms)).then_some(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamp_reads_back_and_a_damaged_one_does_not() {
        let (w, h) = (640, 360);
        let mut luma = vec![90u8; w * h];
        let ms = 1_795_000_000_123;
        assert!(draw(&mut luma, w, h, ms));
        assert_eq!(read(&luma, w, h), Some(ms));
        // One block flipped: the checksum refuses it.
        let b = block_size(w).unwrap();
        let x = 10 * b + b / 2;
        for y in 0..b {
            luma[y * w + x] = 255 - luma[y * w + x];
        }
        assert_eq!(read(&luma, w, h), None);
        assert_eq!(read(&vec![90u8; w * h], w, h), None, "no stamp, no time");
        assert!(!draw(&mut vec![0u8; 100 * 100], 100, 100, ms), "too narrow");
    }
}
