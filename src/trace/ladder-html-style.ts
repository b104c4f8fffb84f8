import { GROUP_COLOURS } from './ladder-svg.js';

/**
 * Inline stylesheet. System fonts only: the page must look the same from file:// and inside an
 * Allure attachment iframe, where nothing can be fetched.
 */
export const LADDER_CSS = `
*{box-sizing:border-box}
html,body{margin:0;height:100%}
body{display:flex;flex-direction:column;font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono","DejaVu Sans Mono",monospace;color:#222;background:#fff}
header{padding:6px 10px;border-bottom:1px solid #ddd;display:flex;gap:16px;align-items:baseline;flex-wrap:wrap}
header h1{font-size:14px;margin:0}
header .hint{color:#777}
main{flex:1;display:flex;min-height:0}
#scroll{flex:1 1 60%;overflow:auto;position:relative}
.heads{position:sticky;top:0;height:24px;background:#fff;border-bottom:1px solid #eee;z-index:1}
.party{position:absolute;top:4px;transform:translateX(-50%);font-weight:bold;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;text-align:center}
#panel{flex:1 1 40%;min-width:280px;border-left:1px solid #ddd;display:flex;flex-direction:column;min-height:0}
#detail-meta{padding:6px 10px;border-bottom:1px solid #eee;color:#555;white-space:pre-wrap;word-break:break-all}
#detail{flex:1;margin:0;padding:8px 10px;overflow:auto;white-space:pre;font:inherit}
@media (max-width:800px){main{flex-direction:column}#panel{border-left:0;border-top:1px solid #ddd;max-height:45%}}
svg{display:block;font:inherit}
svg text{fill:currentColor}
.life{stroke:#bbb;stroke-dasharray:3 3}
.empty{fill:#777}
.arrow{cursor:pointer;color:#444;--row:transparent;--halo:#fff}
.arrow:hover{--row:rgba(0,0,0,.05);--halo:#f2f2f2}
.arrow .bg{fill:var(--row)}
.arrow .shaft{stroke:currentColor;stroke-width:1.5;fill:none}
.arrow .head{fill:currentColor}
.arrow .label{paint-order:stroke;stroke:var(--halo);stroke-width:4px;stroke-linejoin:round}
.arrow .meta{fill:#888}
.arrow .note{fill:#777;font-style:italic}
${GROUP_COLOURS.map((c, i) => `.c${i}{color:${c}}`).join('\n')}
.arrow.marked{color:#d62728;font-weight:bold;--row:rgba(214,39,40,.1);--halo:#fbe9e9}
.arrow.marked .note,.arrow.marked .meta{fill:#d62728;font-style:normal}
.arrow.sel{--row:rgba(37,99,235,.15);--halo:#dce6fc}
.arrow.marked.sel{--row:rgba(214,39,40,.22);--halo:#f6d0d0}
`;
