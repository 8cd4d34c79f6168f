package quant

// QuantizeQ2_K encodes src into Q2_K blocks. Stub: being written.
func QuantizeQ2_K(dst []byte, src []float32) { panic("not implemented") }

// DequantizeQ2_K decodes Q2_K blocks. Stub: being written.
func DequantizeQ2_K(dst []float32, src []byte) { panic("not implemented") }
