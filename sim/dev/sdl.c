/*
 * The display's window (--display sdl): SDL2, loaded with dlopen only when a window is
 * asked for, so a machine without one neither loads nor links it. One host thread owns
 * SDL: it opens the window, copies the display into a streaming texture whenever the GPU
 * model changed it (checked every 16 ms), and turns key presses and releases into Linux
 * key codes for the virtio keyboard. Closing the window stops the machine, as Ctrl-A x
 * does. Power-off, halt and Ctrl-A x have the thread shut SDL down before exit runs the
 * libraries' destructors (a renderer's, e.g. Mesa's LLVM, registers them at its first
 * frame, after anything registered here, so they would run first and pull the renderer
 * from under the thread); an atexit handler covers the other exits.
 */
#include <SDL2/SDL.h>
#include <dlfcn.h>
#include <linux/input-event-codes.h>
#include <stdio.h>
#include <stdlib.h>

#include "sim.h"

#define SDL_LIBRARY "libSDL2-2.0.so.0"
#define SDL_FRAME_MS 16
#define SDL_QUIT_STATUS 130 /* as Ctrl-A x */

/* The SDL functions used, found with dlsym. */
static struct {
	int (*Init)(Uint32);
	void (*Quit)(void);
	const char *(*GetError)(void);
	SDL_Window *(*CreateWindow)(const char *, int, int, int, int, Uint32);
	SDL_Renderer *(*CreateRenderer)(SDL_Window *, int, Uint32);
	SDL_Texture *(*CreateTexture)(SDL_Renderer *, Uint32, int, int, int);
	int (*UpdateTexture)(SDL_Texture *, const SDL_Rect *, const void *, int);
	int (*RenderCopy)(SDL_Renderer *, SDL_Texture *, const SDL_Rect *, const SDL_Rect *);
	void (*RenderPresent)(SDL_Renderer *);
	int (*WaitEventTimeout)(SDL_Event *, int);
} sdl;

static struct {
	uint32_t width, height;
	uint32_t *frame; /* the display's copy */
	SDL_Renderer *renderer;
	SDL_Texture *texture;
	pthread_t thread;
	pthread_mutex_t lock; /* ready, error, stop, stopped */
	pthread_cond_t done;
	bool ready;
	bool stop, stopped; /* exit asks the thread to shut SDL down; it has */
	const char *error; /* why the window could not open, or NULL */
} sim_sdl = {.lock = PTHREAD_MUTEX_INITIALIZER, .done = PTHREAD_COND_INITIALIZER};

/* Linux key codes of SDL's scancodes (the USB HID usages), for a US keyboard. */
static const struct {
	SDL_Scancode scancode;
	uint16_t code;
} sdl_keys[] = {
    {SDL_SCANCODE_RETURN, KEY_ENTER},	      {SDL_SCANCODE_ESCAPE, KEY_ESC},
    {SDL_SCANCODE_BACKSPACE, KEY_BACKSPACE},  {SDL_SCANCODE_TAB, KEY_TAB},
    {SDL_SCANCODE_SPACE, KEY_SPACE},	      {SDL_SCANCODE_MINUS, KEY_MINUS},
    {SDL_SCANCODE_EQUALS, KEY_EQUAL},	      {SDL_SCANCODE_LEFTBRACKET, KEY_LEFTBRACE},
    {SDL_SCANCODE_RIGHTBRACKET, KEY_RIGHTBRACE}, {SDL_SCANCODE_BACKSLASH, KEY_BACKSLASH},
    {SDL_SCANCODE_SEMICOLON, KEY_SEMICOLON},  {SDL_SCANCODE_APOSTROPHE, KEY_APOSTROPHE},
    {SDL_SCANCODE_GRAVE, KEY_GRAVE},	      {SDL_SCANCODE_COMMA, KEY_COMMA},
    {SDL_SCANCODE_PERIOD, KEY_DOT},	      {SDL_SCANCODE_SLASH, KEY_SLASH},
    {SDL_SCANCODE_CAPSLOCK, KEY_CAPSLOCK},    {SDL_SCANCODE_LCTRL, KEY_LEFTCTRL},
    {SDL_SCANCODE_RCTRL, KEY_RIGHTCTRL},      {SDL_SCANCODE_LSHIFT, KEY_LEFTSHIFT},
    {SDL_SCANCODE_RSHIFT, KEY_RIGHTSHIFT},    {SDL_SCANCODE_LALT, KEY_LEFTALT},
    {SDL_SCANCODE_UP, KEY_UP},		      {SDL_SCANCODE_DOWN, KEY_DOWN},
    {SDL_SCANCODE_LEFT, KEY_LEFT},	      {SDL_SCANCODE_RIGHT, KEY_RIGHT},
    {SDL_SCANCODE_HOME, KEY_HOME},	      {SDL_SCANCODE_END, KEY_END},
    {SDL_SCANCODE_DELETE, KEY_DELETE},
};

/* The letters' and digits' key codes, in SDL's order (A..Z, then 1..9, 0). */
static const uint16_t sdl_letters[26] = {
    KEY_A, KEY_B, KEY_C, KEY_D, KEY_E, KEY_F, KEY_G, KEY_H, KEY_I, KEY_J, KEY_K, KEY_L, KEY_M,
    KEY_N, KEY_O, KEY_P, KEY_Q, KEY_R, KEY_S, KEY_T, KEY_U, KEY_V, KEY_W, KEY_X, KEY_Y, KEY_Z};
static const uint16_t sdl_digits[10] = {KEY_1, KEY_2, KEY_3, KEY_4, KEY_5,
					KEY_6, KEY_7, KEY_8, KEY_9, KEY_0};

/* The Linux key code of scancode s, or 0 for a key the keyboard does not have. */
static uint16_t sdl_key_code(SDL_Scancode s)
{
	if (s >= SDL_SCANCODE_A && s <= SDL_SCANCODE_Z)
		return sdl_letters[s - SDL_SCANCODE_A];
	if (s >= SDL_SCANCODE_1 && s <= SDL_SCANCODE_0)
		return sdl_digits[s - SDL_SCANCODE_1];
	for (size_t i = 0; i < sizeof(sdl_keys) / sizeof(sdl_keys[0]); i++)
		if (sdl_keys[i].scancode == s)
			return sdl_keys[i].code;
	return 0;
}

/* Finds the SDL functions; false when the library or one of them is missing. */
static bool sdl_load(void)
{
	void *lib = dlopen(SDL_LIBRARY, RTLD_NOW | RTLD_LOCAL);

	if (!lib)
		return false;
#define SDL_SYM(name) (*(void **)&sdl.name = dlsym(lib, "SDL_" #name)) != NULL
	return SDL_SYM(Init) && SDL_SYM(Quit) && SDL_SYM(GetError) && SDL_SYM(CreateWindow) &&
	       SDL_SYM(CreateRenderer) && SDL_SYM(CreateTexture) && SDL_SYM(UpdateTexture) &&
	       SDL_SYM(RenderCopy) && SDL_SYM(RenderPresent) && SDL_SYM(WaitEventTimeout);
#undef SDL_SYM
}

/* Opens the window; NULL, or why it could not. */
static const char *sdl_open(void)
{
	if (!sdl_load())
		return "cannot load " SDL_LIBRARY " (Debian's libsdl2-2.0-0)";
	if (sdl.Init(SDL_INIT_VIDEO))
		return sdl.GetError();
	SDL_Window *w = sdl.CreateWindow("Amphi", SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED,
					 (int)sim_sdl.width, (int)sim_sdl.height, 0);
	sim_sdl.renderer = w ? sdl.CreateRenderer(w, -1, 0) : NULL;
	sim_sdl.texture = sim_sdl.renderer
			      ? sdl.CreateTexture(sim_sdl.renderer, SDL_PIXELFORMAT_RGB888,
						  SDL_TEXTUREACCESS_STREAMING, (int)sim_sdl.width,
						  (int)sim_sdl.height)
			      : NULL;
	sim_sdl.frame = malloc((size_t)sim_sdl.width * sim_sdl.height * 4);
	if (!sim_sdl.texture || !sim_sdl.frame)
		return sim_sdl.frame ? sdl.GetError() : "no memory for the window's frame";
	return NULL;
}

/* Acts on one window event: keys go to the keyboard, closing stops the machine. */
static void sdl_event(const SDL_Event *e)
{
	if (e->type == SDL_QUIT) {
		sim_console_restore();
		fputs("\r\namphi: the display window closed: machine stopped\n", stderr);
		exit(SDL_QUIT_STATUS);
	}
	if (e->type != SDL_KEYDOWN && e->type != SDL_KEYUP)
		return;
	uint16_t code = sdl_key_code(e->key.keysym.scancode);
	if (code)
		sim_input_key(code, e->type == SDL_KEYUP ? 0 : e->key.repeat ? 2 : 1);
}

/* Sets a flag of sim_sdl under its lock and wakes whoever waits for one. */
static void sdl_signal(bool *flag)
{
	pthread_mutex_lock(&sim_sdl.lock);
	*flag = true;
	pthread_cond_broadcast(&sim_sdl.done);
	pthread_mutex_unlock(&sim_sdl.lock);
}

/* True once exit asked the thread to stop. */
static bool sdl_stopping(void)
{
	pthread_mutex_lock(&sim_sdl.lock);
	bool stop = sim_sdl.stop;
	pthread_mutex_unlock(&sim_sdl.lock);
	return stop;
}

/* The window's thread: events, and the display's changes onto the window. */
static void *sdl_thread(void *unused)
{
	const char *error = sdl_open();
	uint64_t seen = UINT64_MAX;
	SDL_Event e;

	(void)unused;
	sim_sdl.error = error;
	sdl_signal(&sim_sdl.ready);
	if (error)
		return NULL;
	while (!sdl_stopping()) {
		if (sdl.WaitEventTimeout(&e, SDL_FRAME_MS))
			sdl_event(&e);
		if (!sim_gpu_display_copy(sim_sdl.frame, &seen))
			continue;
		sdl.UpdateTexture(sim_sdl.texture, NULL, sim_sdl.frame, (int)sim_sdl.width * 4);
		sdl.RenderCopy(sim_sdl.renderer, sim_sdl.texture, NULL, NULL);
		sdl.RenderPresent(sim_sdl.renderer);
	}
	sdl.Quit();
	sdl_signal(&sim_sdl.stopped);
	return NULL;
}

void sim_sdl_stop(void)
{
	if (!sim_sdl.ready || sim_sdl.error)
		return; /* no window */
	if (pthread_equal(pthread_self(), sim_sdl.thread)) { /* the window closed */
		sdl.Quit();
		return;
	}
	pthread_mutex_lock(&sim_sdl.lock);
	sim_sdl.stop = true;
	while (!sim_sdl.stopped)
		pthread_cond_wait(&sim_sdl.done, &sim_sdl.lock);
	pthread_mutex_unlock(&sim_sdl.lock);
}

const char *sim_sdl_start(uint32_t width, uint32_t height)
{
	sim_sdl.width = width;
	sim_sdl.height = height;
	if (pthread_create(&sim_sdl.thread, NULL, sdl_thread, NULL)) {
		fprintf(stderr, "amphi: --display sdl: cannot start the window's thread\n");
		exit(SIM_EXIT_HOST);
	}
	pthread_detach(sim_sdl.thread);
	pthread_mutex_lock(&sim_sdl.lock);
	while (!sim_sdl.ready)
		pthread_cond_wait(&sim_sdl.done, &sim_sdl.lock);
	pthread_mutex_unlock(&sim_sdl.lock);
	if (sim_sdl.error)
		return sim_sdl.error;
	atexit(sim_sdl_stop);
	return NULL;
}
