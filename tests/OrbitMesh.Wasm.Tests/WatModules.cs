namespace OrbitMesh.Wasm.Tests;

/// <summary>The test modules, in WebAssembly text; the tests turn them into real binaries.</summary>
internal static class WatModules
{
    private const string Imports = """
          (import "orbitmesh" "input_size" (func $input_size (result i32)))
          (import "orbitmesh" "input_read" (func $input_read (param i32 i32) (result i32)))
          (import "orbitmesh" "result" (func $result (param i32 i32)))
          (import "orbitmesh" "emit" (func $emit (param i32 i32)))
          (import "orbitmesh" "progress" (func $progress (param f64 i32 i32)))
          (import "orbitmesh" "fail" (func $fail (param i32 i32)))
          (import "orbitmesh" "file_read" (func $file_read (param i32 i32 i32 i32) (result i64)))
          (import "orbitmesh" "clock_now_ms" (func $clock_now_ms (result i64)))
        """;

    /// <summary>Decimal parsing of the input at [0, n) and printing of a number ending at 2048.</summary>
    private const string Numbers = """
          (func $parse (param $n i32) (result i64)
            (local $i i32) (local $v i64) (local $c i32)
            (block $done
              (loop $next
                (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
                (local.set $c (i32.load8_u (local.get $i)))
                (if (i32.and (i32.ge_u (local.get $c) (i32.const 48)) (i32.le_u (local.get $c) (i32.const 57)))
                  (then (local.set $v (i64.add (i64.mul (local.get $v) (i64.const 10))
                                               (i64.extend_i32_u (i32.sub (local.get $c) (i32.const 48)))))))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $next)))
            (local.get $v))
          (func $itoa (param $v i64) (result i32)
            (local $p i32)
            (local.set $p (i32.const 2048))
            (loop $digit
              (local.set $p (i32.sub (local.get $p) (i32.const 1)))
              (i64.store8 (local.get $p) (i64.add (i64.const 48) (i64.rem_u (local.get $v) (i64.const 10))))
              (local.set $v (i64.div_u (local.get $v) (i64.const 10)))
              (br_if $digit (i64.ne (local.get $v) (i64.const 0))))
            (local.get $p))
          (func $input_number (result i64)
            (call $parse (call $input_read (i32.const 0) (i32.const 1000))))
          (func $result_number (param $v i64)
            (local $p i32)
            (local.set $p (call $itoa (local.get $v)))
            (call $result (local.get $p) (i32.sub (i32.const 2048) (local.get $p))))
        """;

    private static string Module(string body, int pages = 1) =>
        $"(module\n{Imports}\n  (memory (export \"memory\") {pages})\n{Numbers}\n{body}\n)";

    /// <summary>A pure function: the input number squared.</summary>
    public static readonly string Square = Module("""
          (func (export "run") (call $result_number (i64.mul (call $input_number) (call $input_number))))
        """);

    /// <summary>Returns its input unchanged (the trivial module of the benchmarks).</summary>
    public static readonly string Echo = Module("""
          (func (export "run")
            (local $n i32)
            (local.set $n (call $input_read (i32.const 0) (i32.const 65536)))
            (call $result (i32.const 0) (local.get $n)))
        """);

    /// <summary>Streams the items 1, 2, 3 with progress after each, then the result "done".</summary>
    public static readonly string Stream = Module("""
          (data (i32.const 4096) "123\"done\"step")
          (func (export "run")
            (local $i i32)
            (loop $next
              (call $emit (i32.add (i32.const 4096) (local.get $i)) (i32.const 1))
              (call $progress (f64.mul (f64.convert_i32_u (i32.add (local.get $i) (i32.const 1))) (f64.const 33)) (i32.const 4105) (i32.const 4))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $next (i32.lt_u (local.get $i) (i32.const 3))))
            (call $result (i32.const 4099) (i32.const 6)))
        """);

    /// <summary>Never returns.</summary>
    public static readonly string InfiniteLoop = Module("""
          (func (export "run") (loop $forever (br $forever)))
        """);

    /// <summary>Grows its memory one page at a time until refused, then returns how many pages it has.</summary>
    public static readonly string MemoryBomb = Module("""
          (func (export "run")
            (block $refused
              (loop $grow
                (br_if $refused (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
                (br $grow)))
            (call $result_number (i64.extend_i32_u (memory.size))))
        """);

    /// <summary>Asks for 128 MiB of memory up front.</summary>
    public static readonly string LargeInitialMemory = Module("""
          (func (export "run"))
        """, pages: 2048);

    /// <summary>Reads the file whose path is its input (a bare path, not JSON) and returns the file's content as its result.</summary>
    public static readonly string ReadFile = Module("""
          (func (export "run")
            (local $n i32) (local $size i64)
            (local.set $n (call $input_read (i32.const 0) (i32.const 4000)))
            ;; the input is a JSON string: skip its quotes
            (local.set $size (call $file_read (i32.const 1) (i32.sub (local.get $n) (i32.const 2)) (i32.const 8192) (i32.const 50000)))
            (if (i64.lt_s (local.get $size) (i64.const 0))
              (then (call $result_number (i64.const 0)) (return)))
            (call $result (i32.const 8192) (i32.wrap_i64 (local.get $size))))
        """);

    /// <summary>Reads the clock.</summary>
    public static readonly string Clock = Module("""
          (func (export "run") (call $result_number (call $clock_now_ms)))
        """);

    /// <summary>Emits items without end (an output bomb).</summary>
    public static readonly string Chatty = Module(
        "  (data (i32.const 4096) \"\\\"" + new string('a', 98) + "\\\"\")\n" +
        "  (func (export \"run\") (loop $forever (call $emit (i32.const 4096) (i32.const 100)) (br $forever)))");

    /// <summary>Sets a result that is not JSON.</summary>
    public static readonly string BadJson = Module("""
          (data (i32.const 4096) "{not json")
          (func (export "run") (call $result (i32.const 4096) (i32.const 9)))
        """);

    /// <summary>Fails on purpose.</summary>
    public static readonly string Fails = Module("""
          (data (i32.const 4096) "bad input")
          (func (export "run") (call $fail (i32.const 4096) (i32.const 9)))
        """);

    /// <summary>A CPU-bound function: the sum of (i * i) mod 7 for i below the input, computed in a loop.</summary>
    public static readonly string SumOfSquaresMod = Module("""
          (func (export "run")
            (local $n i64) (local $i i64) (local $sum i64)
            (local.set $n (call $input_number))
            (block $done
              (loop $next
                (br_if $done (i64.ge_u (local.get $i) (local.get $n)))
                (local.set $sum (i64.add (local.get $sum) (i64.rem_u (i64.mul (local.get $i) (local.get $i)) (i64.const 7))))
                (local.set $i (i64.add (local.get $i) (i64.const 1)))
                (br $next)))
            (call $result_number (local.get $sum)))
        """);

    /// <summary>Imports WASI, which the host does not provide.</summary>
    public const string ImportsWasi = """
        (module
          (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
          (memory (export "memory") 1)
          (func (export "run")))
        """;
}
