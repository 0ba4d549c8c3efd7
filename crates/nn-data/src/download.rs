//! Downloading MNIST and Fashion-MNIST from mirrors, verified by SHA-256.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::idx::gunzip_if_needed;
use crate::mnist::FILES;
use crate::{Error, Result};

/// A file to fetch and the SHA-256 of its *decompressed* content.
///
/// Verifying the decompressed content (the original IDX payload) means that
/// a faithful mirror and one that recompressed the files both pass, while a
/// truncated or altered file fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemoteFile {
    /// The file name, without `.gz`.
    pub name: &'static str,
    /// Lowercase hex SHA-256 of the IDX content.
    pub sha256: &'static str,
}

/// The datasets [`download`] knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remote {
    /// MNIST handwritten digits.
    Mnist,
    /// Zalando's Fashion-MNIST.
    FashionMnist,
}

impl Remote {
    /// The folder under the data directory: `mnist` or `fashion-mnist`.
    pub fn folder(self) -> &'static str {
        match self {
            Remote::Mnist => "mnist",
            Remote::FashionMnist => "fashion-mnist",
        }
    }

    /// The four files with the digests of the original distributions.
    pub fn files(self) -> [RemoteFile; 4] {
        let sums = match self {
            Remote::Mnist => [
                "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
                "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
                "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
                "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
            ],
            Remote::FashionMnist => [
                "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
                "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
                "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
                "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
            ],
        };
        std::array::from_fn(|i| RemoteFile {
            name: FILES[i],
            sha256: sums[i],
        })
    }

    /// Mirrors known to serve the files as `<mirror>/<name>.gz`, tried in
    /// order, as this build reaches them (see [`Mirror::url`]). (The book's
    /// own loader had to change mirrors twice; add one with
    /// `nn data download --mirror URL`.)
    pub fn mirrors(self) -> Vec<String> {
        self.known_mirrors()
            .iter()
            .filter_map(|m| m.url(HTTPS))
            .collect()
    }

    /// Every known mirror, whichever protocols it serves.
    pub fn known_mirrors(self) -> &'static [Mirror] {
        const fn both(address: &'static str) -> Mirror {
            Mirror {
                address,
                http: true,
                https: true,
            }
        }
        const fn http_only(address: &'static str) -> Mirror {
            Mirror {
                address,
                http: true,
                https: false,
            }
        }
        // GitHub answers http with a redirect to https.
        const fn https_only(address: &'static str) -> Mirror {
            Mirror {
                address,
                http: false,
                https: true,
            }
        }
        const MNIST: &[Mirror] = &[
            both("ossci-datasets.s3.amazonaws.com/mnist/"),
            both("storage.googleapis.com/cvdf-datasets/mnist/"),
            https_only("raw.githubusercontent.com/fgnt/mnist/master/"),
            http_only("yann.lecun.com/exdb/mnist/"),
        ];
        const FASHION_MNIST: &[Mirror] = &[
            // An S3 website endpoint, which serves http only.
            http_only("fashion-mnist.s3-website.eu-central-1.amazonaws.com/"),
            https_only(
                "raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
            ),
        ];
        match self {
            Remote::Mnist => MNIST,
            Remote::FashionMnist => FASHION_MNIST,
        }
    }
}

/// Whether this build speaks https: the `https` feature, which brings
/// rustls and ring, about a seventh of the CPU time of a cold release build
/// of `nn`, for a download most runs never make. Without it, downloads go
/// over plain http. That is enough for integrity: every file is checked
/// against the SHA-256 compiled into this crate ([`Remote::files`]) before
/// it is kept, so a mirror or a network in between can make a download
/// fail but never change what is saved.
pub const HTTPS: bool = cfg!(feature = "https");

/// A server known to hold a dataset's four files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mirror {
    /// Host and path, without the scheme, ending in `/`.
    pub address: &'static str,
    /// It serves the files over plain http.
    pub http: bool,
    /// It serves the files over https.
    pub https: bool,
}

impl Mirror {
    /// The URL to use from a build that does (`https`) or does not speak
    /// https: https where both are served and the build can, else http;
    /// `None` for an https-only mirror in a build without https.
    pub fn url(self, https: bool) -> Option<String> {
        if https && self.https {
            Some(format!("https://{}", self.address))
        } else if self.http {
            Some(format!("http://{}", self.address))
        } else {
            None
        }
    }
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What a download reports as it goes: one line per file and mirror tried,
/// and the bytes of each transfer (for a progress bar). A closure taking
/// `&str` is a `Report` that sees the lines only.
pub trait Report {
    /// One line: a file found, downloaded, or a mirror that failed.
    fn line(&mut self, line: &str);
    /// A transfer of `file` begins; `total` bytes when the server says.
    fn started(&mut self, _file: &str, _total: Option<u64>) {}
    /// `bytes` received so far in the current transfer.
    fn received(&mut self, _bytes: u64) {}
    /// The current transfer ended (complete or not).
    fn finished(&mut self) {}
}

impl<F: FnMut(&str)> Report for F {
    fn line(&mut self, line: &str) {
        self(line);
    }
}

/// How long a download may wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// For name resolution and the connection to each mirror.
    pub connect: Duration,
    /// For each file, from the request to its last byte.
    pub file: Duration,
}

impl Timeouts {
    /// `nn data download`'s: 15 s to connect, 10 minutes per file.
    pub const PATIENT: Timeouts = Timeouts {
        connect: Duration::from_secs(15),
        file: Duration::from_secs(600),
    };
    /// For an attempt the user did not ask for (`nn train` looking for
    /// MNIST): a mirror that does not answer within 4 s is skipped.
    pub const QUICK: Timeouts = Timeouts {
        connect: Duration::from_secs(4),
        file: Duration::from_secs(300),
    };
}

/// Downloads `remote` into `data_dir/<folder>/`, trying `extra_mirrors`
/// first and then [`Remote::mirrors`]. Returns the paths of the four files.
///
/// # Errors
/// [`Error::Download`] for a file no mirror delivered intact, listing all
/// four files with their digests for a download by hand; [`Error::Io`] when
/// the folder cannot be written.
pub fn download(
    remote: Remote,
    data_dir: &Path,
    extra_mirrors: &[String],
    timeouts: Timeouts,
    report: &mut dyn Report,
) -> Result<Vec<PathBuf>> {
    let mirrors: Vec<String> = extra_mirrors
        .iter()
        .cloned()
        .chain(remote.mirrors())
        .collect();
    download_files(
        &data_dir.join(remote.folder()),
        &remote.files(),
        &mirrors,
        timeouts,
        report,
    )
}

/// Fetches each of `files` into `folder` from the first of `mirrors` that
/// serves it with the right digest. A file already present and intact (as
/// `name.gz` or `name`) is kept. Each download is written to a temporary
/// file in `folder` and renamed into place, so an interrupted run never
/// leaves a partial file under the final name; folders this call created
/// are removed again when it fails with nothing in them.
///
/// # Errors
/// As [`download`].
pub fn download_files(
    folder: &Path,
    files: &[RemoteFile],
    mirrors: &[String],
    timeouts: Timeouts,
    report: &mut dyn Report,
) -> Result<Vec<PathBuf>> {
    let created: Vec<PathBuf> = folder
        .ancestors()
        .take_while(|a| !a.as_os_str().is_empty() && !a.exists())
        .map(Path::to_path_buf)
        .collect();
    std::fs::create_dir_all(folder).map_err(|e| Error::io(folder, e))?;
    let result = fetch_all(folder, files, mirrors, timeouts, report);
    if result.is_err() {
        // Deepest first; remove_dir leaves any folder that holds something.
        for dir in &created {
            if std::fs::remove_dir(dir).is_err() {
                break;
            }
        }
    }
    result
}

fn fetch_all(
    folder: &Path,
    files: &[RemoteFile],
    mirrors: &[String],
    timeouts: Timeouts,
    report: &mut dyn Report,
) -> Result<Vec<PathBuf>> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_resolve(Some(timeouts.connect))
        .timeout_connect(Some(timeouts.connect))
        .timeout_global(Some(timeouts.file))
        .build()
        .into();
    let mut paths = Vec::new();
    for file in files {
        if let Some(existing) = intact_copy(folder, file) {
            report.line(&format!(
                "{}: already present and verified",
                existing.display()
            ));
            paths.push(existing);
            continue;
        }
        let mut attempts = Vec::new();
        let mut saved = None;
        for mirror in mirrors {
            let url = format!("{}/{}.gz", mirror.trim_end_matches('/'), file.name);
            let fetched = fetch(&agent, &url, file.name, report);
            report.finished();
            match fetched.and_then(|bytes| check(&url, bytes, file)) {
                Ok((bytes, gzipped)) => {
                    let name = if gzipped {
                        format!("{}.gz", file.name)
                    } else {
                        file.name.to_string()
                    };
                    let path = folder.join(name);
                    write_atomically(&path, &bytes)?;
                    report.line(&format!(
                        "{}: downloaded from {mirror}, SHA-256 verified",
                        path.display()
                    ));
                    saved = Some(path);
                    break;
                }
                Err(why) => {
                    report.line(&format!("{}: {mirror}: {why}", file.name));
                    attempts.push((mirror.clone(), why));
                }
            }
        }
        match saved {
            Some(path) => paths.push(path),
            None => {
                return Err(Error::Download {
                    file: format!("{}.gz", file.name),
                    attempts,
                    folder: folder.to_path_buf(),
                    files: files
                        .iter()
                        .map(|f| (format!("{}.gz", f.name), f.sha256.to_string()))
                        .collect(),
                })
            }
        }
    }
    Ok(paths)
}

/// The file's existing copy, if one is there and its content checks out.
fn intact_copy(folder: &Path, file: &RemoteFile) -> Option<PathBuf> {
    [format!("{}.gz", file.name), file.name.to_string()]
        .into_iter()
        .map(|n| folder.join(n))
        .find(|p| {
            std::fs::read(p)
                .ok()
                .and_then(|bytes| gunzip_if_needed(p, bytes).ok())
                .is_some_and(|content| sha256_hex(&content) == file.sha256)
        })
}

/// The body of a successful GET (at most 256 MiB), or why there is none.
fn fetch(
    agent: &ureq::Agent,
    url: &str,
    name: &str,
    report: &mut dyn Report,
) -> std::result::Result<Vec<u8>, String> {
    use std::io::Read;
    const LIMIT: u64 = 256 * 1024 * 1024;
    if !HTTPS && url.starts_with("https://") {
        return Err(
            "this build has no https (rebuild with `--features https`); \
             an http:// mirror works, the files are verified by SHA-256"
                .to_string(),
        );
    }
    let mut response = agent.get(url).call().map_err(|e| e.to_string())?;
    let total = response.body().content_length();
    report.started(name, total);
    let mut reader = response.body_mut().with_config().limit(LIMIT).reader();
    // The announced length is a hint only: never trusted for the allocation.
    let mut bytes = Vec::with_capacity(total.unwrap_or(0).min(64 * 1024 * 1024) as usize);
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let n = reader
            .read(&mut chunk)
            .map_err(|e| format!("reading the body: {e}"))?;
        if n == 0 {
            return Ok(bytes);
        }
        bytes.extend_from_slice(&chunk[..n]);
        report.received(bytes.len() as u64);
    }
}

/// The bytes and whether they are gzipped, if their content has the digest.
fn check(
    url: &str,
    bytes: Vec<u8>,
    file: &RemoteFile,
) -> std::result::Result<(Vec<u8>, bool), String> {
    let gzipped = bytes.starts_with(&[0x1f, 0x8b]);
    let content = gunzip_if_needed(Path::new(url), bytes.clone()).map_err(|e| e.to_string())?;
    let digest = sha256_hex(&content);
    if digest == file.sha256 {
        Ok((bytes, gzipped))
    } else {
        Err(format!(
            "checksum mismatch: content SHA-256 is {digest}, expected {}",
            file.sha256
        ))
    }
}

/// Removes `.NAME.part-PID` files beside `path` left by processes that no
/// longer exist (a run killed during a save). Only Linux can tell a live
/// process from a dead one here (`/proc/PID`); elsewhere they are left.
fn remove_stale_parts(path: &Path, name: &str) {
    if !cfg!(target_os = "linux") {
        return;
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let prefix = format!(".{name}.part-");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name();
        let pid = file
            .to_str()
            .and_then(|f| f.strip_prefix(&prefix))
            .and_then(|p| p.parse::<u32>().ok());
        if let Some(pid) = pid {
            let alive = Path::new(&format!("/proc/{pid}")).exists();
            if pid != std::process::id() && !alive {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

/// Writes `bytes` to `path` through a temporary file in the same folder and
/// a rename, which replaces the file in one step.
///
/// # Errors
/// [`Error::Io`] naming the file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    remove_stale_parts(path, &name);
    let tmp = path.with_file_name(format!(".{name}.part-{}", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e)
    })
}
