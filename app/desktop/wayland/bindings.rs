//! Hotkeys the desktop holds for us, where no portal offers global shortcuts
//! (`promptdeck install-desktop --bind`), each running `promptdeck palette` or `promptdeck
//! capture`: on sway and Hyprland a file of bindings, then the compositor told to read its
//! configuration again (written whole on each run; where the compositor's configuration does
//! not read that file yet, the line to add is said); on GNOME two custom shortcuts
//! (`gnome`). `--unbind` removes them.

mod gnome;

use std::path::{Path, PathBuf};
use std::process::Command;

use global_hotkey::hotkey::{HotKey, Modifiers};

use crate::desktop::keysym;

/// The desktops whose bindings are written here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Desktop {
    /// A compositor that reads bindings from a file of its configuration.
    Files(Compositor),
    Gnome,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compositor {
    Sway,
    Hyprland,
}

/// Why bindings could not be written.
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    #[error(
        "no bindings are written for this desktop ({0}); bind `{1} palette` and `{1} capture` \
         to keys in its keyboard settings"
    )]
    Unsupported(String, String),
    #[error("the {what} hotkey {keys:?} cannot be a binding: {why}")]
    Shortcut { what: &'static str, keys: String, why: String },
    #[error(
        "this program's path {0:?} holds characters a binding cannot carry safely; install it \
         under a plain path"
    )]
    UnsafePath(PathBuf),
    #[error("GNOME's shortcuts could not be written: {0}")]
    Gnome(String),
    #[error("this user has no home directory")]
    NoHome,
    #[error("cannot find this program: {0}")]
    NoProgram(std::io::Error),
    #[error("cannot {doing} {}: {source}", path.display())]
    Io { doing: &'static str, path: PathBuf, source: std::io::Error },
}

/// What was done, for the user to read.
#[derive(Debug, Default)]
pub struct Bound {
    pub lines: Vec<String>,
}

impl Desktop {
    /// The desktop of this session, from what it sets in its clients' environment.
    pub fn detect(var: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let desktop = var("XDG_CURRENT_DESKTOP").unwrap_or_default();
        let says = |name: &str| desktop.split(':').any(|d| d.eq_ignore_ascii_case(name));
        if var("SWAYSOCK").is_some() || says("sway") {
            Ok(Self::Files(Compositor::Sway))
        } else if var("HYPRLAND_INSTANCE_SIGNATURE").is_some() || says("Hyprland") {
            Ok(Self::Files(Compositor::Hyprland))
        } else if says("GNOME") {
            Ok(Self::Gnome)
        } else if desktop.is_empty() {
            Err("XDG_CURRENT_DESKTOP is not set".into())
        } else {
            Err(desktop)
        }
    }
}

impl Compositor {
    fn name(self) -> &'static str {
        match self {
            Self::Sway => "sway",
            Self::Hyprland => "Hyprland",
        }
    }

    /// The file of our bindings, and the compositor's own configuration that must read it.
    fn files(self, config: &Path) -> (PathBuf, PathBuf) {
        match self {
            Self::Sway => {
                (config.join("sway/config.d/promptdeck.conf"), config.join("sway/config"))
            }
            Self::Hyprland => {
                (config.join("hypr/promptdeck.conf"), config.join("hypr/hyprland.conf"))
            }
        }
    }

    /// One binding line: `keys` runs `command`.
    fn binding(self, keys: HotKey, command: &str) -> Result<String, String> {
        let key = keysym::of(keys.key)
            .and_then(keysym::name)
            .ok_or_else(|| format!("no key name for {}", keys.key))?;
        let mods = [
            (Modifiers::CONTROL, "Ctrl", "CTRL"),
            (Modifiers::SHIFT, "Shift", "SHIFT"),
            (Modifiers::ALT, "Mod1", "ALT"),
            (Modifiers::META, "Mod4", "SUPER"),
        ];
        let held = mods.iter().filter(|(m, ..)| keys.mods.intersects(*m));
        Ok(match self {
            Self::Sway => {
                let mut parts: Vec<&str> = held.map(|(_, sway, _)| *sway).collect();
                parts.push(key);
                format!("bindsym {} exec {command}", parts.join("+"))
            }
            Self::Hyprland => {
                let mods: Vec<&str> = held.map(|(.., hypr)| *hypr).collect();
                format!("bind = {}, {key}, exec, {command}", mods.join(" "))
            }
        })
    }

    /// The line in the compositor's configuration that reads `ours`.
    fn include_line(self, ours: &Path) -> String {
        match self {
            Self::Sway => format!("include {}", ours.display()),
            Self::Hyprland => format!("source = {}", ours.display()),
        }
    }

    /// Whether `config` (the compositor's configuration's text) reads `ours`: a line naming
    /// it, or (sway) a glob over its folder.
    fn reads(self, config: &str, ours: &Path, home: &Path, config_dir: &Path) -> bool {
        let keyword = match self {
            Self::Sway => "include",
            Self::Hyprland => "source",
        };
        config.lines().any(|line| {
            let Some(rest) = line.trim().strip_prefix(keyword) else { return false };
            let named = rest.trim_start().trim_start_matches('=').trim().trim_matches('"');
            let path = expand(named, home, config_dir);
            path == ours
                || (path.file_name().is_some_and(|f| f == "*") && path.parent() == ours.parent())
        })
    }

    /// Asks the running compositor to read its configuration again.
    fn reload(self) -> Result<(), String> {
        let (program, arg) = match self {
            Self::Sway => ("swaymsg", "reload"),
            Self::Hyprland => ("hyprctl", "reload"),
        };
        let done =
            Command::new(program).arg(arg).output().map_err(|e| format!("{program}: {e}"))?;
        if done.status.success() {
            Ok(())
        } else {
            Err(format!("{program} {arg}: {}", String::from_utf8_lossy(&done.stderr).trim()))
        }
    }
}

/// `~`, `$HOME` and `$XDG_CONFIG_HOME` at a path's start, as the compositors expand them.
fn expand(path: &str, home: &Path, config_dir: &Path) -> PathBuf {
    for (prefix, dir) in [("~/", home), ("$HOME/", home), ("$XDG_CONFIG_HOME/", config_dir)] {
        if let Some(rest) = path.strip_prefix(prefix) {
            return dir.join(rest);
        }
    }
    PathBuf::from(path)
}

/// A path that needs no quoting in a shell command or a compositor's configuration.
fn plain(path: &Path) -> bool {
    path.to_str().is_some_and(|p| {
        p.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-' | '+'))
    })
}

/// Has this session's desktop hold `palette` and `capture` (shortcuts as settings.toml
/// writes them).
pub fn bind(palette: &str, capture: &str) -> Result<Bound, BindError> {
    let exe = promptdeck_client::app::command_line().map_err(BindError::NoProgram)?;
    if !plain(&exe) {
        return Err(BindError::UnsafePath(exe));
    }
    let program = exe.display().to_string();
    let desktop = Desktop::detect(|name| std::env::var(name).ok())
        .map_err(|desktop| BindError::Unsupported(desktop, program.clone()))?;
    let mut shortcuts = Vec::new();
    for (what, keys) in [("palette", palette), ("capture", capture)] {
        let hotkey: HotKey = keys.parse().map_err(|e| BindError::Shortcut {
            what,
            keys: keys.into(),
            why: format!("{e}"),
        })?;
        shortcuts.push((what, hotkey, format!("{program} {what}")));
    }
    match desktop {
        Desktop::Files(compositor) => bind_in_file(compositor, &shortcuts),
        Desktop::Gnome => gnome::bind(&shortcuts).map(|lines| Bound { lines }),
    }
}

/// Writes `compositor`'s file of bindings and has it read them.
fn bind_in_file(
    compositor: Compositor,
    shortcuts: &[(&'static str, HotKey, String)],
) -> Result<Bound, BindError> {
    let mut text = String::from(
        "# Promptdeck's hotkeys, written by `promptdeck install-desktop --bind`; written again\n\
         # on each run and removed by `promptdeck install-desktop --unbind`.\n",
    );
    for (what, hotkey, command) in shortcuts {
        let line = compositor.binding(*hotkey, command).map_err(|why| BindError::Shortcut {
            what,
            keys: hotkey.to_string(),
            why,
        })?;
        text.push_str(&line);
        text.push('\n');
    }
    let dirs = directories::BaseDirs::new().ok_or(BindError::NoHome)?;
    let (ours, config) = compositor.files(dirs.config_dir());
    write(&ours, &text)?;
    let mut bound = Bound { lines: vec![format!("wrote {}", ours.display())] };
    let read = std::fs::read_to_string(&config).unwrap_or_default();
    if !compositor.reads(&read, &ours, dirs.home_dir(), dirs.config_dir()) {
        bound.lines.push(format!(
            "{} does not read it yet: add this line to {}:\n  {}",
            compositor.name(),
            config.display(),
            compositor.include_line(&ours)
        ));
    }
    bound.lines.push(match compositor.reload() {
        Ok(()) => format!("{} read its configuration again", compositor.name()),
        Err(e) => format!("reload {} to use them ({e})", compositor.name()),
    });
    Ok(bound)
}

/// Removes the bindings files `--bind` wrote, and on GNOME its shortcuts.
pub fn unbind() -> Result<Bound, BindError> {
    let dirs = directories::BaseDirs::new().ok_or(BindError::NoHome)?;
    let mut bound = Bound::default();
    for compositor in [Compositor::Sway, Compositor::Hyprland] {
        let (ours, _) = compositor.files(dirs.config_dir());
        if ours.exists() {
            std::fs::remove_file(&ours).map_err(|source| BindError::Io {
                doing: "remove",
                path: ours.clone(),
                source,
            })?;
            bound.lines.push(format!("removed {}", ours.display()));
            if let Err(e) = compositor.reload() {
                bound.lines.push(format!("reload {} to drop them ({e})", compositor.name()));
            }
        }
    }
    if Desktop::detect(|name| std::env::var(name).ok()) == Ok(Desktop::Gnome) {
        bound.lines.extend(gnome::unbind()?);
    }
    Ok(bound)
}

fn write(path: &Path, text: &str) -> Result<(), BindError> {
    crate::files::replace_readable(path, text.as_bytes()).map_err(|source| BindError::Io {
        doing: "write",
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| (*v).to_owned())
    }

    #[test]
    fn the_desktop_is_told_by_its_environment() {
        let sway = Desktop::detect(env(&[("SWAYSOCK", "/run/sway.sock")]));
        assert_eq!(sway, Ok(Desktop::Files(Compositor::Sway)));
        let hypr = [("HYPRLAND_INSTANCE_SIGNATURE", "x"), ("XDG_CURRENT_DESKTOP", "Hyprland")];
        assert_eq!(Desktop::detect(env(&hypr)), Ok(Desktop::Files(Compositor::Hyprland)));
        let gnome = Desktop::detect(env(&[("XDG_CURRENT_DESKTOP", "ubuntu:GNOME")]));
        assert_eq!(gnome, Ok(Desktop::Gnome));
        let kde = Desktop::detect(env(&[("XDG_CURRENT_DESKTOP", "KDE")]));
        assert_eq!(kde, Err("KDE".into()));
        assert!(Desktop::detect(env(&[])).is_err());
    }

    #[test]
    fn shortcuts_become_each_compositors_bindings() {
        let keys: HotKey = "ctrl+shift+space".parse().expect("a shortcut");
        assert_eq!(
            Compositor::Sway.binding(keys, "/usr/bin/promptdeck palette"),
            Ok("bindsym Ctrl+Shift+space exec /usr/bin/promptdeck palette".into())
        );
        let keys: HotKey = "super+alt+p".parse().expect("a shortcut");
        assert_eq!(
            Compositor::Hyprland.binding(keys, "/usr/bin/promptdeck palette"),
            Ok("bind = ALT SUPER, p, exec, /usr/bin/promptdeck palette".into())
        );
    }

    #[test]
    fn a_configuration_reads_our_file_by_name_or_by_its_folder() {
        let (home, config) = (Path::new("/home/a"), Path::new("/home/a/.config"));
        let ours = Path::new("/home/a/.config/sway/config.d/promptdeck.conf");
        let sway = Compositor::Sway;
        assert!(sway.reads("include ~/.config/sway/config.d/*\n", ours, home, config));
        assert!(sway.reads(
            "  include $XDG_CONFIG_HOME/sway/config.d/promptdeck.conf",
            ours,
            home,
            config
        ));
        assert!(!sway.reads("include /etc/sway/config.d/*\n", ours, home, config));
        assert!(!sway.reads("# include ~/.config/sway/config.d/*\n", ours, home, config));
        let ours = Path::new("/home/a/.config/hypr/promptdeck.conf");
        assert!(Compositor::Hyprland.reads(
            "source = ~/.config/hypr/promptdeck.conf",
            ours,
            home,
            config
        ));
    }

    #[test]
    fn only_plain_paths_go_into_a_binding() {
        assert!(plain(Path::new("/home/a/.cargo/bin/promptdeck")));
        assert!(!plain(Path::new("/home/a/my apps/promptdeck")));
        assert!(!plain(Path::new("/tmp/x;rm -rf ~/promptdeck")));
        assert!(!plain(Path::new("/tmp/$(id)/promptdeck")));
    }
}
