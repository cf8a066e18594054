//! Fragmented MP4 for H.264, as Media Source Extensions take it: one init segment
//! (`ftyp` + `moov` with the stream's SPS and PPS), then one media segment (`moof` +
//! `mdat`) per access unit, so a viewer can start at any keyframe and each frame is sent
//! as soon as it exists. Sans-IO: bytes in, bytes out.

use crate::h264::{self, SpsInfo};

/// The media timescale: 90 kHz, as RTP and MPEG-TS count.
pub const TIMESCALE: u32 = 90_000;

/// Why an init segment cannot be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InitError {
    /// The SPS does not parse.
    BadSps,
}

/// A box: its 4-character type and its body.
fn mp4box(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut b = Vec::with_capacity(body.len() + 8);
    b.extend(((body.len() + 8) as u32).to_be_bytes());
    b.extend(kind);
    b.extend(body);
    b
}

/// A full box: version, flags, body.
fn full(kind: &[u8; 4], version: u8, flags: u32, body: &[u8]) -> Vec<u8> {
    let mut v = vec![version];
    v.extend(&flags.to_be_bytes()[1..]);
    v.extend(body);
    mp4box(kind, &v)
}

const MATRIX: [u32; 9] = [0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000];

fn matrix() -> Vec<u8> {
    MATRIX.iter().flat_map(|v| v.to_be_bytes()).collect()
}

/// The init segment for a stream with this SPS and PPS (NAL units, headers included).
pub fn init_segment(sps: &[u8], pps: &[u8]) -> Result<(Vec<u8>, SpsInfo), InitError> {
    let info = h264::parse_sps(sps).ok_or(InitError::BadSps)?;
    let ftyp =
        mp4box(b"ftyp", &[b"isom".as_slice(), &0x200u32.to_be_bytes(), b"isom", b"iso6", b"avc1", b"mp41"].concat());

    let mut mvhd = Vec::new();
    mvhd.extend(0u32.to_be_bytes()); // creation
    mvhd.extend(0u32.to_be_bytes()); // modification
    mvhd.extend(1000u32.to_be_bytes()); // timescale
    mvhd.extend(0u32.to_be_bytes()); // duration: unknown (live)
    mvhd.extend(0x0001_0000u32.to_be_bytes()); // rate
    mvhd.extend(0x0100u16.to_be_bytes()); // volume
    mvhd.extend([0u8; 10]);
    mvhd.extend(matrix());
    mvhd.extend([0u8; 24]);
    mvhd.extend(2u32.to_be_bytes()); // next track id

    let mut tkhd = Vec::new();
    tkhd.extend([0u8; 8]); // creation, modification
    tkhd.extend(1u32.to_be_bytes()); // track id
    tkhd.extend([0u8; 4]);
    tkhd.extend(0u32.to_be_bytes()); // duration
    tkhd.extend([0u8; 8]);
    tkhd.extend([0u8; 4]); // layer, alternate group
    tkhd.extend([0u8; 4]); // volume, reserved
    tkhd.extend(matrix());
    tkhd.extend((info.width << 16).to_be_bytes());
    tkhd.extend((info.height << 16).to_be_bytes());

    let mut mdhd = Vec::new();
    mdhd.extend([0u8; 8]);
    mdhd.extend(TIMESCALE.to_be_bytes());
    mdhd.extend(0u32.to_be_bytes());
    mdhd.extend(0x55c4u16.to_be_bytes()); // "und"
    mdhd.extend([0u8; 2]);

    let mut hdlr = vec![0u8; 4];
    hdlr.extend(b"vide");
    hdlr.extend([0u8; 12]);
    hdlr.extend(b"Vigie body-cam\0");

    let mut avcc = vec![1, info.profile, info.compatibility, info.level, 0xff, 0xe1];
    avcc.extend((sps.len() as u16).to_be_bytes());
    avcc.extend(sps);
    avcc.push(1);
    avcc.extend((pps.len() as u16).to_be_bytes());
    avcc.extend(pps);

    let mut avc1 = vec![0u8; 6];
    avc1.extend(1u16.to_be_bytes()); // data reference index
    avc1.extend([0u8; 16]);
    avc1.extend((info.width as u16).to_be_bytes());
    avc1.extend((info.height as u16).to_be_bytes());
    avc1.extend(0x0048_0000u32.to_be_bytes());
    avc1.extend(0x0048_0000u32.to_be_bytes());
    avc1.extend(0u32.to_be_bytes());
    avc1.extend(1u16.to_be_bytes()); // frame count
    avc1.extend([0u8; 32]); // compressor name
    avc1.extend(0x0018u16.to_be_bytes());
    avc1.extend(0xffffu16.to_be_bytes());
    avc1.extend(mp4box(b"avcC", &avcc));

    let mut stsd = 1u32.to_be_bytes().to_vec();
    stsd.extend(mp4box(b"avc1", &avc1));
    let empty = 0u32.to_be_bytes();
    let stbl = [
        full(b"stsd", 0, 0, &stsd),
        full(b"stts", 0, 0, &empty),
        full(b"stsc", 0, 0, &empty),
        full(b"stsz", 0, 0, &[0u8; 8]),
        full(b"stco", 0, 0, &empty),
    ]
    .concat();
    let dref = full(b"dref", 0, 0, &[1u32.to_be_bytes().to_vec(), full(b"url ", 0, 1, &[])].concat());
    let minf = [full(b"vmhd", 0, 1, &[0u8; 8]), mp4box(b"dinf", &dref), mp4box(b"stbl", &stbl)].concat();
    let mdia = [full(b"mdhd", 0, 0, &mdhd), full(b"hdlr", 0, 0, &hdlr), mp4box(b"minf", &minf)].concat();
    let trak = [full(b"tkhd", 0, 3, &tkhd), mp4box(b"mdia", &mdia)].concat();
    let trex = [1u32, 1, 0, 0, 0].iter().flat_map(|v| v.to_be_bytes()).collect::<Vec<u8>>();
    let mvex = full(b"trex", 0, 0, &trex);
    let moov = mp4box(b"moov", &[full(b"mvhd", 0, 0, &mvhd), mp4box(b"trak", &trak), mp4box(b"mvex", &mvex)].concat());
    Ok(([ftyp, moov].concat(), info))
}

/// One media segment holding one access unit: `sequence` counts segments from 1,
/// `decode_time` and `duration` are in [`TIMESCALE`] units. Parameter sets and delimiters
/// stay out of the sample (they are in the init segment).
pub fn media_segment(sequence: u32, decode_time: u64, duration: u32, unit: &[&[u8]], keyframe: bool) -> Vec<u8> {
    let mut mdat = Vec::new();
    for n in unit.iter().filter(|n| !matches!(h264::nal_type(n), h264::nal::SPS | h264::nal::PPS | h264::nal::AUD)) {
        mdat.extend((n.len() as u32).to_be_bytes());
        mdat.extend(*n);
    }
    let flags: u32 = if keyframe { 0x0200_0000 } else { 0x0101_0000 };
    let moof_len = |data_offset: u32| {
        let mut trun = 1u32.to_be_bytes().to_vec(); // sample count
        trun.extend(data_offset.to_be_bytes());
        trun.extend(duration.to_be_bytes());
        trun.extend((mdat.len() as u32).to_be_bytes());
        trun.extend(flags.to_be_bytes());
        let traf = [
            full(b"tfhd", 0, 0x02_0000, &1u32.to_be_bytes()), // default-base-is-moof
            full(b"tfdt", 1, 0, &decode_time.to_be_bytes()),
            full(b"trun", 0, 0x000701, &trun), // data offset, duration, size, flags
        ]
        .concat();
        mp4box(b"moof", &[full(b"mfhd", 0, 0, &sequence.to_be_bytes()), mp4box(b"traf", &traf)].concat())
    };
    let size = moof_len(0).len() as u32;
    let moof = moof_len(size + 8);
    [moof, mp4box(b"mdat", &mdat)].concat()
}

/// The `prft` box (ISO/IEC 14496-12 §8.16.5, producer reference time) that goes before a
/// fragment: the wall-clock time, Unix milliseconds, at which the frame at `decode_time`
/// was captured. Media Source Extensions ignore it; the player reads it to show the
/// stream's own time and to measure its delay.
pub fn prft(captured_unix_ms: u64, decode_time: u64) -> Vec<u8> {
    // NTP: seconds since 1900 in the high 32 bits, the fraction in the low 32.
    const NTP_UNIX_OFFSET_S: u64 = 2_208_988_800;
    let secs = captured_unix_ms / 1000 + NTP_UNIX_OFFSET_S;
    let fraction = ((captured_unix_ms % 1000) << 32) / 1000;
    let mut body = 1u32.to_be_bytes().to_vec(); // reference track
    body.extend(((secs << 32) | fraction).to_be_bytes());
    body.extend(decode_time.to_be_bytes());
    full(b"prft", 1, 0, &body)
}

/// The capture time a [`prft`] box carries, Unix milliseconds, and the decode time it
/// refers to; `None` if `bytes` does not start with one.
pub fn read_prft(bytes: &[u8]) -> Option<(u64, u64)> {
    if bytes.len() < 32 || &bytes[4..8] != b"prft" || bytes[8] != 1 {
        return None;
    }
    let ntp = u64::from_be_bytes(bytes[16..24].try_into().ok()?);
    let decode_time = u64::from_be_bytes(bytes[24..32].try_into().ok()?);
    let secs = (ntp >> 32).checked_sub(2_208_988_800)?;
    let ms = ((ntp & 0xffff_ffff) * 1000 + (1 << 31)) >> 32;
    Some((secs * 1000 + ms, decode_time))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_capture_time_survives_its_box_to_the_millisecond() {
        for ms in [0u64, 1, 999, 1_790_000_000_123, 1_790_000_000_999] {
            let b = prft(ms, 42 * 3600);
            assert_eq!(b.len(), 32);
            assert_eq!(read_prft(&b), Some((ms, 42 * 3600)), "{ms}");
        }
        assert_eq!(read_prft(b"not a box at all, not a box at all"), None);
    }
}
