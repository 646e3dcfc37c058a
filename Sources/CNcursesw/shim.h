#define NCURSES_WIDECHAR 1   /* before curses.h: makes cchar_t, get_wch, setcchar visible */
#include <locale.h>
#include <stdint.h>
#include <wchar.h>
#include <curses.h>
extern int wcwidth(wchar_t c);                 /* Glibc's Swift module hides it */
static inline attr_t cn_a_bold(void)    { return A_BOLD; }      /* composite macros */
static inline attr_t cn_a_reverse(void) { return A_REVERSE; }
static inline attr_t cn_a_underline(void) { return A_UNDERLINE; }
static inline attr_t cn_a_dim(void)     { return A_DIM; }
static inline attr_t cn_a_normal(void)  { return A_NORMAL; }
static inline attr_t cn_color_pair(short n) { return COLOR_PAIR(n); }
static inline WINDOW *cn_stdscr(void)   { return stdscr; }      /* Swift 6 rejects C globals */
static inline SCREEN *cn_newterm(void)  { return newterm(NULL, stdout, stdin); }
static inline int cn_lines(void) { return LINES; }
static inline int cn_cols(void) { return COLS; }
static inline attr_t cn_a_bold_underline(void) { return A_BOLD | A_UNDERLINE; }
static inline int cn_key_code_yes(void) { return KEY_CODE_YES; }
/* Writes one cell: up to 4 wide chars (base + combining), attributes and a colour pair. */
static inline int cn_put_cell(int y, int x, const wchar_t *wch, attr_t attr, short pair) {
    cchar_t cc;
    if (setcchar(&cc, wch, attr, pair, NULL) != OK) return ERR;
    return mvadd_wch(y, x, &cc);
}
static inline int cn_get_wch(unsigned int *out) {
    wint_t w = 0;
    int r = get_wch(&w);
    *out = (unsigned int)w;
    return r;
}
