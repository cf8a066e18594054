//! TEMPORARY (to be deleted): writes a PMTiles file's tiles as z/x/y.mvt files.
use pmtiles::{AsyncPmTilesReader, MmapBackend, TileCoord};
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let info = vigie_tiles::TilesetInfo::read(std::path::Path::new(&a[1])).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let r = AsyncPmTilesReader::try_from_source(MmapBackend::try_from(a[1].as_str()).await.unwrap()).await.unwrap();
        let [w, s, e, n] = info.bounds;
        let mut count = 0;
        for z in info.min_zoom..=info.max_zoom {
            let f = |lon: f64, lat: f64| {
                let nn = f64::from(1u32 << z);
                let la = lat.to_radians();
                (
                    ((lon + 180.0) / 360.0 * nn) as u32,
                    ((1.0 - (la.tan() + 1.0 / la.cos()).ln() / std::f64::consts::PI) / 2.0 * nn) as u32,
                )
            };
            let (x0, y0) = f(w, n);
            let (x1, y1) = f(e, s);
            for x in x0..=x1 {
                for y in y0..=y1 {
                    if let Some(t) = r.get_tile_decompressed(TileCoord::new(z, x, y).unwrap()).await.unwrap() {
                        let d = format!("{}/{z}/{x}", a[2]);
                        std::fs::create_dir_all(&d).unwrap();
                        std::fs::write(format!("{d}/{y}.mvt"), &t).unwrap();
                        count += 1;
                    }
                }
            }
        }
        eprintln!("{count} tiles");
    });
}
