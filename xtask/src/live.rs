//! Progress of `verify`: a live line per service on a terminal, plain lines elsewhere (CI).

use std::collections::HashMap;
use std::io::IsTerminal;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use shared_migrate::{Service, VerifyReport};

pub struct View {
    bars: Option<(MultiProgress, HashMap<String, ProgressBar>)>,
}

impl View {
    pub fn new(services: &[Service]) -> View {
        let live = std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
        if !live {
            return View { bars: None };
        }
        let multi = MultiProgress::new();
        let width = services.iter().map(|s| s.name.len()).max().unwrap_or(0);
        let style = ProgressStyle::with_template(&format!(
            "{{spinner}} {{prefix:<{width}}}  {{elapsed:>4}}  {{msg}}"
        ))
        .expect("template");
        let bars = services
            .iter()
            .map(|s| {
                let bar = multi.add(
                    ProgressBar::new_spinner()
                        .with_style(style.clone())
                        .with_prefix(s.name.clone()),
                );
                bar.enable_steady_tick(std::time::Duration::from_millis(100));
                bar.set_message("waiting");
                (s.name.clone(), bar)
            })
            .collect();
        View {
            bars: Some((multi, bars)),
        }
    }

    pub fn update(&self, service: &str, step: &str) {
        match &self.bars {
            Some((_, bars)) => {
                if let Some(bar) = bars.get(service) {
                    bar.set_message(step.to_string());
                }
            }
            None => crate::cx::progress(service, step),
        }
    }

    pub fn finish(&self, reports: &[VerifyReport]) {
        if let Some((_, bars)) = &self.bars {
            for r in reports {
                if let Some(bar) = bars.get(&r.service) {
                    let result = match r.failure() {
                        None => "passed".to_string(),
                        Some(s) => format!("FAILED at {}", s.name),
                    };
                    bar.finish_with_message(result);
                }
            }
        }
    }
}
