" rrdsl clause files: comments start with #, two-space indentation
if exists("b:did_ftplugin")
  finish
endif
let b:did_ftplugin = 1
setlocal commentstring=#\ %s comments=:# expandtab shiftwidth=2 softtabstop=2
setlocal foldmethod=indent foldignore=
let b:undo_ftplugin = "setlocal commentstring< comments< expandtab< shiftwidth< softtabstop< foldmethod< foldignore<"
