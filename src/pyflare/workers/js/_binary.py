"""``js.ArrayBuffer``, ``js.DataView`` and the typed arrays (``js.Uint8Array.new(16)``...): the kernel's classes
(:mod:`pyflare.kernel.jsobjects`), so what a binding or ``to_js`` hands out is what ``js`` names."""

from pyflare.kernel.jsobjects import (
    ArrayBuffer,
    BigInt64Array,
    BigUint64Array,
    DataView,
    Float32Array,
    Float64Array,
    Int8Array,
    Int16Array,
    Int32Array,
    Uint8Array,
    Uint8ClampedArray,
    Uint16Array,
    Uint32Array,
)

__all__ = ["ArrayBuffer", "BigInt64Array", "BigUint64Array", "DataView", "Float32Array", "Float64Array", "Int8Array",
           "Int16Array", "Int32Array", "Uint8Array", "Uint8ClampedArray", "Uint16Array", "Uint32Array"]
