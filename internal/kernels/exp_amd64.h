// Shared by the assembly files that evaluate exp: the constant table (each
// value replicated over a YMM vector, so that it can be a memory operand)
// and the polynomial. The table is file-local (<>), so every including file
// gets its own copy.

#define EXPC_INVLN2 expc<>+0(SB)
#define EXPC_SHIFT expc<>+32(SB)
#define EXPC_LN2HI expc<>+64(SB)
#define EXPC_LN2LO expc<>+96(SB)
#define EXPC_ABSMASK expc<>+128(SB)
#define EXPC_FASTLIMIT expc<>+160(SB)
#define EXPC_ONE expc<>+192(SB)
#define EXPC_C11 expc<>+224(SB)
#define EXPC_C10 expc<>+256(SB)
#define EXPC_C9 expc<>+288(SB)
#define EXPC_C8 expc<>+320(SB)
#define EXPC_C7 expc<>+352(SB)
#define EXPC_C6 expc<>+384(SB)
#define EXPC_C5 expc<>+416(SB)
#define EXPC_C4 expc<>+448(SB)
#define EXPC_C3 expc<>+480(SB)
#define EXPC_C2 expc<>+512(SB)
#define EXPC_BIAS expc<>+544(SB)
#define EXPC_CLAMPLO expc<>+576(SB)
#define EXPC_CLAMPHI expc<>+608(SB)
#define EXPC_HALF expc<>+640(SB)
#define EXPC_NEGINF expc<>+672(SB)
#define EXPC_PARTMIN expc<>+704(SB)

DATA expc<>+0(SB)/8, $0x3ff71547652b82fe
DATA expc<>+8(SB)/8, $0x3ff71547652b82fe
DATA expc<>+16(SB)/8, $0x3ff71547652b82fe
DATA expc<>+24(SB)/8, $0x3ff71547652b82fe
DATA expc<>+32(SB)/8, $0x4338000000000000
DATA expc<>+40(SB)/8, $0x4338000000000000
DATA expc<>+48(SB)/8, $0x4338000000000000
DATA expc<>+56(SB)/8, $0x4338000000000000
DATA expc<>+64(SB)/8, $0x3fe62e42fee00000
DATA expc<>+72(SB)/8, $0x3fe62e42fee00000
DATA expc<>+80(SB)/8, $0x3fe62e42fee00000
DATA expc<>+88(SB)/8, $0x3fe62e42fee00000
DATA expc<>+96(SB)/8, $0x3dea39ef35793c76
DATA expc<>+104(SB)/8, $0x3dea39ef35793c76
DATA expc<>+112(SB)/8, $0x3dea39ef35793c76
DATA expc<>+120(SB)/8, $0x3dea39ef35793c76
DATA expc<>+128(SB)/8, $0x7fffffffffffffff
DATA expc<>+136(SB)/8, $0x7fffffffffffffff
DATA expc<>+144(SB)/8, $0x7fffffffffffffff
DATA expc<>+152(SB)/8, $0x7fffffffffffffff
DATA expc<>+160(SB)/8, $0x4086200000000000
DATA expc<>+168(SB)/8, $0x4086200000000000
DATA expc<>+176(SB)/8, $0x4086200000000000
DATA expc<>+184(SB)/8, $0x4086200000000000
DATA expc<>+192(SB)/8, $0x3ff0000000000000
DATA expc<>+200(SB)/8, $0x3ff0000000000000
DATA expc<>+208(SB)/8, $0x3ff0000000000000
DATA expc<>+216(SB)/8, $0x3ff0000000000000
DATA expc<>+224(SB)/8, $0x3e5ad7f7b1096349
DATA expc<>+232(SB)/8, $0x3e5ad7f7b1096349
DATA expc<>+240(SB)/8, $0x3e5ad7f7b1096349
DATA expc<>+248(SB)/8, $0x3e5ad7f7b1096349
DATA expc<>+256(SB)/8, $0x3e928ad689e8aee0
DATA expc<>+264(SB)/8, $0x3e928ad689e8aee0
DATA expc<>+272(SB)/8, $0x3e928ad689e8aee0
DATA expc<>+280(SB)/8, $0x3e928ad689e8aee0
DATA expc<>+288(SB)/8, $0x3ec71df253a08086
DATA expc<>+296(SB)/8, $0x3ec71df253a08086
DATA expc<>+304(SB)/8, $0x3ec71df253a08086
DATA expc<>+312(SB)/8, $0x3ec71df253a08086
DATA expc<>+320(SB)/8, $0x3efa0199a16e68ed
DATA expc<>+328(SB)/8, $0x3efa0199a16e68ed
DATA expc<>+336(SB)/8, $0x3efa0199a16e68ed
DATA expc<>+344(SB)/8, $0x3efa0199a16e68ed
DATA expc<>+352(SB)/8, $0x3f2a01a012a69cf4
DATA expc<>+360(SB)/8, $0x3f2a01a012a69cf4
DATA expc<>+368(SB)/8, $0x3f2a01a012a69cf4
DATA expc<>+376(SB)/8, $0x3f2a01a012a69cf4
DATA expc<>+384(SB)/8, $0x3f56c16c184266b4
DATA expc<>+392(SB)/8, $0x3f56c16c184266b4
DATA expc<>+400(SB)/8, $0x3f56c16c184266b4
DATA expc<>+408(SB)/8, $0x3f56c16c184266b4
DATA expc<>+416(SB)/8, $0x3f81111111127b9b
DATA expc<>+424(SB)/8, $0x3f81111111127b9b
DATA expc<>+432(SB)/8, $0x3f81111111127b9b
DATA expc<>+440(SB)/8, $0x3f81111111127b9b
DATA expc<>+448(SB)/8, $0x3fa555555555088c
DATA expc<>+456(SB)/8, $0x3fa555555555088c
DATA expc<>+464(SB)/8, $0x3fa555555555088c
DATA expc<>+472(SB)/8, $0x3fa555555555088c
DATA expc<>+480(SB)/8, $0x3fc55555555554fa
DATA expc<>+488(SB)/8, $0x3fc55555555554fa
DATA expc<>+496(SB)/8, $0x3fc55555555554fa
DATA expc<>+504(SB)/8, $0x3fc55555555554fa
DATA expc<>+512(SB)/8, $0x3fe000000000000a
DATA expc<>+520(SB)/8, $0x3fe000000000000a
DATA expc<>+528(SB)/8, $0x3fe000000000000a
DATA expc<>+536(SB)/8, $0x3fe000000000000a
DATA expc<>+544(SB)/8, $0x3ff0000000000000
DATA expc<>+552(SB)/8, $0x3ff0000000000000
DATA expc<>+560(SB)/8, $0x3ff0000000000000
DATA expc<>+568(SB)/8, $0x3ff0000000000000
DATA expc<>+576(SB)/8, $0xc087500000000000
DATA expc<>+584(SB)/8, $0xc087500000000000
DATA expc<>+592(SB)/8, $0xc087500000000000
DATA expc<>+600(SB)/8, $0xc087500000000000
DATA expc<>+608(SB)/8, $0x4086300000000000
DATA expc<>+616(SB)/8, $0x4086300000000000
DATA expc<>+624(SB)/8, $0x4086300000000000
DATA expc<>+632(SB)/8, $0x4086300000000000
DATA expc<>+640(SB)/8, $0x3fe0000000000000
DATA expc<>+648(SB)/8, $0x3fe0000000000000
DATA expc<>+656(SB)/8, $0x3fe0000000000000
DATA expc<>+664(SB)/8, $0x3fe0000000000000
DATA expc<>+672(SB)/8, $0xfff0000000000000
DATA expc<>+680(SB)/8, $0xfff0000000000000
DATA expc<>+688(SB)/8, $0xfff0000000000000
DATA expc<>+696(SB)/8, $0xfff0000000000000
DATA expc<>+704(SB)/8, $0xc086200000000000
DATA expc<>+712(SB)/8, $0xc086200000000000
DATA expc<>+720(SB)/8, $0xc086200000000000
DATA expc<>+728(SB)/8, $0xc086200000000000
GLOBL expc<>(SB), RODATA|NOPTR, $736

// EXP_POLY sets Q = 1 + R(1 + R·P(R)), P the degree-9 minimax polynomial
// of exp.go, by Horner's rule with fused multiply-adds; ONE holds 1.0 in
// every lane. Q must differ from R.
#define EXP_POLY(R, Q, ONE) \
	VMOVUPD     EXPC_C10, Q;    \
	VFMADD231PD EXPC_C11, R, Q; \
	VFMADD213PD EXPC_C9, R, Q;  \
	VFMADD213PD EXPC_C8, R, Q;  \
	VFMADD213PD EXPC_C7, R, Q;  \
	VFMADD213PD EXPC_C6, R, Q;  \
	VFMADD213PD EXPC_C5, R, Q;  \
	VFMADD213PD EXPC_C4, R, Q;  \
	VFMADD213PD EXPC_C3, R, Q;  \
	VFMADD213PD EXPC_C2, R, Q;  \
	VFMADD213PD ONE, R, Q;      \
	VFMADD213PD ONE, R, Q
