using System.Runtime.InteropServices;
using System.Text;

namespace OrbitMesh.Wasm.Runtime;

/// <summary>
/// Turns WebAssembly text (WAT) into the binary format with the Wasmtime library's own converter
/// (<c>wasmtime_wat2wasm</c> of its C API), so tests and benchmarks work with real <c>.wasm</c> bytes.
/// </summary>
internal static partial class WatCompiler
{
    private const string Library = "wasmtime";

    /// <summary>The binary module for <paramref name="wat"/>; throws <see cref="FormatException"/> with the parser's message when it is not valid text.</summary>
    public static byte[] ToBinary(string wat)
    {
        ArgumentNullException.ThrowIfNull(wat);
        var text = Encoding.UTF8.GetBytes(wat);
        var error = Wat2Wasm(text, (nuint)text.Length, out var binary);
        if (error != IntPtr.Zero)
        {
            ErrorMessage(error, out var message);
            try
            {
                throw new FormatException("Not valid WebAssembly text: " + Marshal.PtrToStringUTF8(message.Data, (int)message.Size));
            }
            finally
            {
                ByteVecDelete(ref message);
                ErrorDelete(error);
            }
        }

        try
        {
            var bytes = new byte[(int)binary.Size];
            Marshal.Copy(binary.Data, bytes, 0, bytes.Length);
            return bytes;
        }
        finally
        {
            ByteVecDelete(ref binary);
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct ByteVec
    {
        public nuint Size;
        public IntPtr Data;
    }

    [LibraryImport(Library, EntryPoint = "wasmtime_wat2wasm")]
    private static partial IntPtr Wat2Wasm(byte[] wat, nuint length, out ByteVec binary);

    [LibraryImport(Library, EntryPoint = "wasm_byte_vec_delete")]
    private static partial void ByteVecDelete(ref ByteVec vector);

    [LibraryImport(Library, EntryPoint = "wasmtime_error_message")]
    private static partial void ErrorMessage(IntPtr error, out ByteVec message);

    [LibraryImport(Library, EntryPoint = "wasmtime_error_delete")]
    private static partial void ErrorDelete(IntPtr error);
}
