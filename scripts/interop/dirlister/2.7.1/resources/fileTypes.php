<?php

return array(

    // Archives
    '7z'    => 'fa-file-archive-o',
    'bz'    => 'fa-file-archive-o',
    'gz'    => 'fa-file-archive-o',
    'rar'   => 'fa-file-archive-o',
    'tar'   => 'fa-file-archive-o',
    'zip'   => 'fa-file-archive-o',

    // Audio
    'aac'   => 'fa-music',
    'flac'  => 'fa-music',
    'mid'   => 'fa-music',
    'midi'  => 'fa-music',
    'mp3'   => 'fa-music',
    'ogg'   => 'fa-music',
    'wma'   => 'fa-music',
    'wav'   => 'fa-music',

    // Code
    'c'     => 'fa-code',
    'class' => 'fa-code',
    'cpp'   => 'fa-code',
    'css'   => 'fa-code',
    'erb'   => 'fa-code',
    'htm'   => 'fa-code',
    'html'  => 'fa-code',
    'java'  => 'fa-code',
    'js'    => 'fa-code',
    'php'   => 'fa-code',
    'pl'    => 'fa-code',
    'py'    => 'fa-code',
    'rb'    => 'fa-code',
    'xhtml' => 'fa-code',
    'xml'   => 'fa-code',

    // Databases
    'accdb' => 'fa-hdd-o',
    'db'    => 'fa-hdd-o',
    'dbf'   => 'fa-hdd-o',
    'mdb'   => 'fa-hdd-o',
    'pdb'   => 'fa-hdd-o',
    'sql'   => 'fa-hdd-o',

    // Documents
    'csv'   => 'fa-file-text',
    'doc'   => 'fa-file-text',
    'docx'  => 'fa-file-text',
    'odt'   => 'fa-file-text',
    'pdf'   => 'fa-file-text',
    'xls'   => 'fa-file-text',
    'xlsx'  => 'fa-file-text',

    // Executables
    'app'   => 'fa-list-alt',
    'bat'   => 'fa-list-alt',
    'com'   => 'fa-list-alt',
    'exe'   => 'fa-list-alt',
    'jar'   => 'fa-list-alt',
    'msi'   => 'fa-list-alt',
    'vb'    => 'fa-list-alt',

    // Fonts
    'eot'   => 'fa-font',
    'otf'   => 'fa-font',
    'ttf'   => 'fa-font',
    'woff'  => 'fa-font',

    // Game Files
    'gam'   => 'fa-gamepad',
    'nes'   => 'fa-gamepad',
    'rom'   => 'fa-gamepad',
    'sav'   => 'fa-floppy-o',

    // Images
    'bmp'   => 'fa-picture-o',
    'gif'   => 'fa-picture-o',
    'jpg'   => 'fa-picture-o',
    'jpeg'  => 'fa-picture-o',
    'png'   => 'fa-picture-o',
    'psd'   => 'fa-picture-o',
    'tga'   => 'fa-picture-o',
    'tif'   => 'fa-picture-o',

    // Package Files
    'box'   => 'fa-archive',
    'deb'   => 'fa-archive',
    'rpm'   => 'fa-archive',

    // Scripts
    'bat'   => 'fa-terminal',
    'cmd'   => 'fa-terminal',
    'sh'    => 'fa-terminal',

    // Text
    'cfg'   => 'fa-file-text',
    'ini'   => 'fa-file-text',
    'log'   => 'fa-file-text',
    'md'    => 'fa-file-text',
    'rtf'   => 'fa-file-text',
    'txt'   => 'fa-file-text',

    // Vector Images
    'ai'    => 'fa-picture-o',
    'drw'   => 'fa-picture-o',
    'eps'   => 'fa-picture-o',
    'ps'    => 'fa-picture-o',
    'svg'   => 'fa-picture-o',

    // Video
    'avi'   => 'fa-youtube-play',
    'flv'   => 'fa-youtube-play',
    'mkv'   => 'fa-youtube-play',
    'mov'   => 'fa-youtube-play',
    'mp4'   => 'fa-youtube-play',
    'mpg'   => 'fa-youtube-play',
    'ogv'   => 'fa-youtube-play',
    'webm'  => 'fa-youtube-play',
    'wmv'   => 'fa-youtube-play',
    'swf'   => 'fa-youtube-play',

    // Other
    'bak'   => 'fa-floppy',
    'msg'   => 'fa-envelope',

    // Blank
    'blank' => 'fa-file'

);
