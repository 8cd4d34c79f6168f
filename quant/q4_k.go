package quant

// QuantizeQ4_K encodes src into Q4_K blocks. Stub: being written.
func QuantizeQ4_K(dst []byte, src []float32) { panic("not implemented") }

// DequantizeQ4_K decodes Q4_K blocks. Stub: being written.
func DequantizeQ4_K(dst []float32, src []byte) { panic("not implemented") }
