package quant

// QuantizeQ8_K encodes src into Q8_K blocks. Stub: being written.
func QuantizeQ8_K(dst []byte, src []float32) { panic("not implemented") }

// DequantizeQ8_K decodes Q8_K blocks. Stub: being written.
func DequantizeQ8_K(dst []float32, src []byte) { panic("not implemented") }
