//! Just enough H.264 (Annex B) for relaying without transcoding: split a byte stream into
//! NAL units and access units, tell keyframes, and read the picture size from the SPS.

/// NAL unit types the relay cares about.
pub mod nal {
    /// A slice of a non-IDR picture.
    pub const SLICE: u8 = 1;
    /// A slice of an IDR picture: decoding can start here.
    pub const IDR: u8 = 5;
    /// Supplemental enhancement information.
    pub const SEI: u8 = 6;
    /// Sequence parameter set.
    pub const SPS: u8 = 7;
    /// Picture parameter set.
    pub const PPS: u8 = 8;
    /// Access unit delimiter.
    pub const AUD: u8 = 9;
}

/// The type of a NAL unit (its header's low 5 bits).
pub fn nal_type(nal: &[u8]) -> u8 {
    nal.first().map_or(0, |b| b & 0x1f)
}

/// The NAL units of an Annex B buffer (start codes `00 00 01` or `00 00 00 01` removed).
pub fn split_nals(data: &[u8]) -> Vec<&[u8]> {
    let mut starts = Vec::new();
    let mut i = 0;
    while i + 3 <= data.len() {
        if data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1 {
            starts.push(i + 3);
            i += 3;
        } else {
            i += 1;
        }
    }
    let mut out = Vec::with_capacity(starts.len());
    for (k, &s) in starts.iter().enumerate() {
        let mut end = starts.get(k + 1).map_or(data.len(), |&n| n - 3);
        // A four-byte start code leaves a zero before the next three-byte one; trailing
        // zeros are never part of a NAL unit.
        while end > s && data[end - 1] == 0 {
            end -= 1;
        }
        if end > s {
            out.push(&data[s..end]);
        }
    }
    out
}

/// Whether a VCL NAL unit starts a new picture (its first_mb_in_slice is 0: the first bit
/// of the slice header is 1).
fn first_slice(nal: &[u8]) -> bool {
    matches!(nal_type(nal), nal::SLICE | nal::IDR) && nal.get(1).is_some_and(|b| b & 0x80 != 0)
}

/// Groups NAL units into access units (one picture each, with the SPS, PPS and SEI that
/// precede it).
pub fn access_units<'a>(nals: &[&'a [u8]]) -> Vec<Vec<&'a [u8]>> {
    let mut units: Vec<Vec<&[u8]>> = Vec::new();
    let mut current: Vec<&[u8]> = Vec::new();
    let mut has_picture = false;
    for &n in nals {
        let t = nal_type(n);
        let starts_unit =
            t == nal::AUD || (has_picture && (first_slice(n) || matches!(t, nal::SPS | nal::PPS | nal::SEI)));
        if starts_unit && !current.is_empty() {
            units.push(std::mem::take(&mut current));
            has_picture = false;
        }
        if t == nal::AUD {
            continue;
        }
        if matches!(t, nal::SLICE | nal::IDR) {
            has_picture = true;
        }
        current.push(n);
    }
    if has_picture {
        units.push(current);
    }
    units
}

/// Whether an access unit holds an IDR picture.
pub fn is_keyframe(unit: &[&[u8]]) -> bool {
    unit.iter().any(|n| nal_type(n) == nal::IDR)
}

/// What the SPS says about the pictures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpsInfo {
    /// profile_idc.
    pub profile: u8,
    /// The constraint flags byte.
    pub compatibility: u8,
    /// level_idc.
    pub level: u8,
    /// Width in pixels, after cropping.
    pub width: u32,
    /// Height in pixels, after cropping.
    pub height: u32,
}

struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Bits<'_> {
    fn bit(&mut self) -> Option<u32> {
        let byte = *self.data.get(self.pos / 8)?;
        let b = (byte >> (7 - self.pos % 8)) & 1;
        self.pos += 1;
        Some(u32::from(b))
    }

    fn bits(&mut self, n: u32) -> Option<u32> {
        (0..n).try_fold(0u32, |acc, _| Some((acc << 1) | self.bit()?))
    }

    fn ue(&mut self) -> Option<u32> {
        let mut zeros = 0;
        while self.bit()? == 0 {
            zeros += 1;
            if zeros > 31 {
                return None;
            }
        }
        Some((1u32 << zeros) - 1 + self.bits(zeros)?)
    }

    fn se(&mut self) -> Option<i32> {
        let k = self.ue()?;
        Some(if k % 2 == 1 { k.div_ceil(2) as i32 } else { -((k / 2) as i32) })
    }
}

/// The SPS's payload without emulation prevention bytes (`00 00 03` → `00 00`).
fn unescape(nal: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(nal.len());
    let mut zeros = 0;
    for &b in nal {
        if zeros >= 2 && b == 3 {
            zeros = 0;
            continue;
        }
        zeros = if b == 0 { zeros + 1 } else { 0 };
        out.push(b);
    }
    out
}

/// Reads profile, level and picture size from an SPS NAL unit (header included).
pub fn parse_sps(nal: &[u8]) -> Option<SpsInfo> {
    if nal_type(nal) != nal::SPS || nal.len() < 4 {
        return None;
    }
    let rbsp = unescape(&nal[1..]);
    let mut r = Bits { data: &rbsp, pos: 24 };
    let (profile, compatibility, level) = (rbsp[0], rbsp[1], rbsp[2]);
    r.ue()?; // seq_parameter_set_id
    let mut chroma_format = 1;
    if matches!(profile, 100 | 110 | 122 | 244 | 44 | 83 | 86 | 118 | 128 | 138 | 139 | 134 | 135) {
        chroma_format = r.ue()?;
        if chroma_format == 3 {
            r.bit()?; // separate_colour_plane_flag
        }
        r.ue()?; // bit_depth_luma_minus8
        r.ue()?; // bit_depth_chroma_minus8
        r.bit()?; // qpprime_y_zero_transform_bypass_flag
        if r.bit()? == 1 {
            let lists = if chroma_format == 3 { 12 } else { 8 };
            for i in 0..lists {
                if r.bit()? == 1 {
                    let size = if i < 6 { 16 } else { 64 };
                    let (mut last, mut next) = (8i32, 8i32);
                    for _ in 0..size {
                        if next != 0 {
                            next = (last + r.se()? + 256) % 256;
                        }
                        if next != 0 {
                            last = next;
                        }
                    }
                }
            }
        }
    }
    r.ue()?; // log2_max_frame_num_minus4
    match r.ue()? {
        0 => {
            r.ue()?; // log2_max_pic_order_cnt_lsb_minus4
        }
        1 => {
            r.bit()?;
            r.se()?;
            r.se()?;
            for _ in 0..r.ue()? {
                r.se()?;
            }
        }
        _ => {}
    }
    r.ue()?; // max_num_ref_frames
    r.bit()?; // gaps_in_frame_num_value_allowed_flag
    let width_mbs = r.ue()? + 1;
    let height_units = r.ue()? + 1;
    let frame_mbs_only = r.bit()?;
    if frame_mbs_only == 0 {
        r.bit()?; // mb_adaptive_frame_field_flag
    }
    r.bit()?; // direct_8x8_inference_flag
    let (mut cl, mut cr, mut ct, mut cb) = (0, 0, 0, 0);
    if r.bit()? == 1 {
        (cl, cr, ct, cb) = (r.ue()?, r.ue()?, r.ue()?, r.ue()?);
    }
    let (crop_x, crop_y) = match chroma_format {
        0 => (1, 2 - frame_mbs_only),
        1 => (2, 2 * (2 - frame_mbs_only)),
        2 => (2, 2 - frame_mbs_only),
        _ => (1, 2 - frame_mbs_only),
    };
    let width = (width_mbs * 16).checked_sub((cl + cr) * crop_x)?;
    let height = ((2 - frame_mbs_only) * height_units * 16).checked_sub((ct + cb) * crop_y)?;
    Some(SpsInfo { profile, compatibility, level, width, height })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nal_units_split_on_both_start_codes() {
        let data = [0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3, 0, 0, 0, 1, 0x65, 0x88, 4];
        let nals = split_nals(&data);
        assert_eq!(nals, [&[0x67, 1, 2][..], &[0x68, 3][..], &[0x65, 0x88, 4][..]]);
        let units = access_units(&nals);
        assert_eq!(units.len(), 1);
        assert!(is_keyframe(&units[0]));
    }

    #[test]
    fn a_baseline_sps_gives_its_size() {
        // x264, 320×240 baseline (from `ffmpeg -f lavfi -i testsrc=size=320x240 -c:v libx264 -profile:v baseline`).
        let sps = [
            0x67, 0x42, 0xc0, 0x0d, 0xd9, 0x01, 0x41, 0xfb, 0x01, 0x10, 0x00, 0x00, 0x03, 0x00, 0x10, 0x00, 0x00, 0x03,
            0x03, 0x20, 0xf1, 0x42, 0xa4, 0x80,
        ];
        let info = parse_sps(&sps).unwrap();
        assert_eq!((info.profile, info.level, info.width, info.height), (66, 13, 320, 240));
        // x264, 640×360 high: 23 macroblock rows cropped by 8 lines.
        let high = [
            0x67, 0x64, 0x00, 0x1e, 0xac, 0xd9, 0x40, 0xa0, 0x2f, 0xf9, 0x70, 0x11, 0x00, 0x00, 0x03, 0x00, 0x01, 0x00,
            0x00, 0x03, 0x00, 0x32, 0x0f, 0x16, 0x2d, 0x96,
        ];
        let info = parse_sps(&high).unwrap();
        assert_eq!((info.profile, info.width, info.height), (100, 640, 360));
        assert_eq!(parse_sps(&high[..5]), None, "a truncated SPS is refused, not misread");
    }
}
