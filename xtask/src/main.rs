//! `cargo xtask`: the command line (the library target, `xtask_migrate`, does the work).

fn main() -> std::process::ExitCode {
    xtask_migrate::main()
}
