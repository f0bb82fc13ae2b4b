" rrdsl clause files
autocmd BufRead,BufNewFile *.rrd setlocal filetype=rrdsl
